// Command pulumi-gen-drs generates the pulumi-drs SDKs from the provider's Pulumi schema with pkg/v3's codegen
// (`pulumi package gen-sdk` needs newer language hosts than the module proxy here serves). Run from this folder:
//
//	go run . <schema.json> <outdir>   # writes <outdir>/nodejs, <outdir>/python, <outdir>/go
//
// It owns each <outdir>/<language> folder whole: the folder is replaced, so what is committed is exactly what
// this program writes (a failure leaves it as it was), and two runs write the same bytes. Codegen loads no other
// package and no plugin. The program also fills what codegen leaves to a release pipeline, so that each SDK works
// from a checkout:
//   - nodejs: the schema's version (respectSchemaVersion), compiled to bin/ with the package's own tsc (npm and
//     the registry needed), main and types pointing there: `npm install --install-links <outdir>/nodejs`;
//   - python: a pyproject.toml with the schema's version (setup.py is not written): `pip install <outdir>/python`;
//   - go: a go.mod, module root <outdir>/go (the import base path minus /<package>), requiring the sdk/v3 this
//     program is built with, and its go.sum from `go mod tidy` (module cache or proxy).
//
// No .NET SDK: pkg/v3 no longer holds that codegen (it lives in pulumi/pulumi-dotnet, which the proxy refuses).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/blang/semver"
	"github.com/hashicorp/hcl/v2"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-gen-drs"

// languageDefaults are merged under each language's options from the schema (the schema wins).
var languageDefaults = map[string]map[string]any{
	"nodejs": {"respectSchemaVersion": true},
	"python": {"respectSchemaVersion": true, "pyproject": map[string]any{"enabled": true}},
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintf(os.Stderr, "usage: %s <schema.json> <outdir>\n", tool)
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
		os.Exit(1)
	}
}

type generator struct {
	lang   string
	gen    func(*schema.Package) (map[string][]byte, error)
	finish func(dir string, pkg *schema.Package) error
}

var generators = []generator{
	{"nodejs", func(p *schema.Package) (map[string][]byte, error) {
		return nodejs.GeneratePackage(tool, p, nil, nil, false, noLoader{})
	}, finishNodejs},
	{"python", func(p *schema.Package) (map[string][]byte, error) {
		return python.GeneratePackage(tool, p, nil, noLoader{})
	}, finishPython},
	{"go", func(p *schema.Package) (map[string][]byte, error) {
		return gogen.GeneratePackage(tool, p, nil)
	}, finishGo},
}

// run writes every SDK into a staging folder beside outdir first, so that a failure leaves outdir as it was.
func run(schemaPath, outdir string) error {
	spec, err := readSpec(schemaPath)
	if err != nil {
		return err
	}
	if err := validate(spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	if err := os.MkdirAll(outdir, 0o755); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(filepath.Dir(filepath.Clean(outdir)), ".pulumi-gen-drs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	for _, g := range generators {
		if err := generate(spec, g, filepath.Join(stage, g.lang)); err != nil {
			return fmt.Errorf("%s: the %s SDK: %w", schemaPath, g.lang, err)
		}
	}
	for _, g := range generators {
		dir := filepath.Join(outdir, g.lang)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(stage, g.lang), dir); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: wrote %s\n", tool, dir)
	}
	return nil
}

// validate checks the schema against Pulumi's metaschema (ImportSpec, used to generate, assumes a valid one).
func validate(spec schema.PackageSpec) error {
	_, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	errs := 0
	for _, d := range diags {
		severity := "warning"
		if d.Severity == hcl.DiagError {
			severity, errs = "error", errs+1
		}
		fmt.Fprintf(os.Stderr, "%s: %s: %s %s\n", tool, severity, d.Summary, d.Detail)
	}
	if errs > 0 {
		return fmt.Errorf("not a valid Pulumi schema (%d errors above)", errs)
	}
	return nil
}

func generate(spec schema.PackageSpec, g generator, dir string) error {
	// A fresh package per language: GeneratePackage records its options in the package it is given.
	pkg, err := schema.ImportSpec(spec, nil, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	files, err := g.gen(pkg)
	if err != nil {
		return err
	}
	for name, data := range files {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(name)), data); err != nil {
			return err
		}
	}
	return g.finish(dir, pkg)
}

func readSpec(path string) (schema.PackageSpec, error) {
	var spec schema.PackageSpec
	data, err := os.ReadFile(path)
	if err != nil {
		return spec, err
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, fmt.Errorf("%s: %w", path, err)
	}
	if spec.Language == nil {
		spec.Language = map[string]schema.RawMessage{}
	}
	for lang, defaults := range languageDefaults {
		options := map[string]any{}
		if raw, ok := spec.Language[lang]; ok {
			if err := json.Unmarshal(raw, &options); err != nil {
				return spec, fmt.Errorf("%s: language.%s: %w", path, lang, err)
			}
		}
		for key, value := range defaults {
			if _, set := options[key]; !set {
				options[key] = value
			}
		}
		if spec.Language[lang], err = json.Marshal(options); err != nil {
			return spec, err
		}
	}
	return spec, nil
}

// finishNodejs makes <dir> a package npm can install from a folder without running any of its scripts: it is
// compiled to bin/ here (bin/ is committed) and package.json points there. A `prepare` script fails (npm runs it
// in the folder, where its devDependencies are not installed) and a `postinstall` one may be refused by policy.
func finishNodejs(dir string, _ *schema.Package) error {
	manifest, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return err
	}
	// Inserted as text, to keep codegen's order of keys.
	const scripts = "\n    \"scripts\": {"
	const entry = "\n    \"main\": \"bin/index.js\",\n    \"types\": \"bin/index.d.ts\",\n    \"files\": [\"bin/\"],"
	if bytes.Count(manifest, []byte(scripts)) != 1 {
		return errors.New("package.json: expected one top-level \"scripts\" key")
	}
	manifest = bytes.Replace(manifest, []byte(scripts), []byte(entry+scripts), 1)
	if !json.Valid(manifest) {
		return errors.New("package.json: not JSON after adding main, types and files")
	}
	if err := writeFile(filepath.Join(dir, "package.json"), manifest); err != nil {
		return err
	}
	// Codegen's .gitignore lists bin/, which is committed here.
	if err := writeFile(filepath.Join(dir, ".gitignore"), []byte("node_modules/\n")); err != nil {
		return err
	}
	if err := compileTypeScript(dir); err != nil {
		return err
	}
	// utilities.getVersion() reads the package.json next to the compiled code.
	return writeFile(filepath.Join(dir, "bin", "package.json"), manifest)
}

// compileTypeScript runs the package's own tsc (its devDependencies) on a copy, and copies the copy's bin/ back.
func compileTypeScript(dir string) error {
	build, err := os.MkdirTemp("", tool+"-nodejs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(build)
	if err := os.CopyFS(build, os.DirFS(dir)); err != nil {
		return err
	}
	err = command(build, "npm", "install", "--no-save", "--no-package-lock", "--ignore-scripts", "--prefer-offline",
		"--no-audit", "--no-fund", "--loglevel=error")
	if err != nil {
		return err
	}
	if err := command(build, filepath.Join(build, "node_modules", ".bin", "tsc")); err != nil {
		return fmt.Errorf("%w(the generated code needs @pulumi/pulumi %s: see language.nodejs.dependencies)",
			err, nodejs.MinimumValidSDKVersion)
	}
	return copyTree(filepath.Join(build, "bin"), filepath.Join(dir, "bin"))
}

// finishPython points pyproject.toml at the README codegen writes (inside the package) and gives the license as
// the SPDX string setuptools >= 77 wants: setuptools refuses the {text = ...} table codegen writes after 2027-02-18.
func finishPython(dir string, pkg *schema.Package) error {
	path := filepath.Join(dir, "pyproject.toml")
	var pyproject map[string]any
	if _, err := toml.DecodeFile(path, &pyproject); err != nil {
		return err
	}
	project, ok := pyproject["project"].(map[string]any)
	if !ok {
		return errors.New("pyproject.toml has no [project] table")
	}
	info, _ := pkg.Language["python"].(python.PackageInfo)
	if info.PackageName == "" {
		info.PackageName = python.PyPack(pkg.Namespace, pkg.Name)
	}
	project["readme"] = info.PackageName + "/README.md"
	if pkg.License != "" {
		project["license"] = pkg.License
	}
	pyproject["build-system"] = map[string]any{
		"requires": []string{"setuptools>=77.0"}, "build-backend": "setuptools.build_meta",
	}
	var out bytes.Buffer
	if err := toml.NewEncoder(&out).Encode(pyproject); err != nil {
		return err
	}
	return writeFile(path, out.Bytes())
}

// copyTree copies the files under from into to, which may exist already.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, entry os.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return writeFile(filepath.Join(to, rel), data)
	})
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// finishGo makes <dir> a Go module: its path is the package's import path minus the package folder.
func finishGo(dir string, pkg *schema.Package) error {
	info, _ := pkg.Language["go"].(gogen.GoPackageInfo)
	if info.ImportBasePath == "" {
		return errors.New("the schema has no language.go.importBasePath")
	}
	module := strings.TrimSuffix(info.ImportBasePath, "/"+pkg.Name)
	if module == info.ImportBasePath {
		return fmt.Errorf("language.go.importBasePath %q does not end in /%s", info.ImportBasePath, pkg.Name)
	}
	sdk, err := sdkVersion()
	if err != nil {
		return err
	}
	// `go mod tidy` raises the go line to sdk/v3's and writes go.sum from the module cache (or the proxy).
	gomod := fmt.Sprintf("module %s\n\ngo 1.21\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n", module, sdk)
	if err := writeFile(filepath.Join(dir, "go.mod"), []byte(gomod)); err != nil {
		return err
	}
	return command(dir, goBinary(), "mod", "tidy")
}

// sdkVersion is the version of sdk/v3 this program is built with (set in its go.mod).
func sdkVersion() (string, error) {
	build, ok := debug.ReadBuildInfo()
	if ok {
		for _, dep := range build.Deps {
			if dep.Path == "github.com/pulumi/pulumi/sdk/v3" {
				return dep.Version, nil
			}
		}
	}
	return "", errors.New("cannot tell which github.com/pulumi/pulumi/sdk/v3 this program is built with")
}

// goBinary is the go on PATH, else the toolchain this program was built with.
func goBinary() string {
	if path, err := exec.LookPath("go"); err == nil {
		return path
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// command runs name in dir; its output is shown only when it fails.
func command(dir, name string, args ...string) error {
	var output bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &output, &output
	cmd.Env = append(os.Environ(), "GOWORK=off") // a go.work above <outdir> must not take the SDK in
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s (in %s): %w\n%s", name, strings.Join(args, " "), dir, err, output.String())
	}
	return nil
}

// noLoader loads no package: the DRS schema references none, and generating must reach no network or plugin.
type noLoader struct{}

var errNoLoad = errors.New("pulumi-gen-drs loads no other package (the schema may not reference one)")

func (noLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) { return nil, errNoLoad }

func (noLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoLoad
}

func (noLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoLoad
}

func (noLoader) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoLoad
}
