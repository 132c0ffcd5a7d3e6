// Start batches of Huawei Cloud DRS (Data Replication Service) jobs; see drift in preview.
package drs
