"""pulumi-drs: Huawei Cloud DRS (Data Replication Service) jobs in Pulumi programs."""
