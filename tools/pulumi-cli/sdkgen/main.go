// Command sdkgen writes the SDKs of a Pulumi package from its schema with Pulumi's own code generators, the way
// `pulumi package gen-sdk` would if the language hosts that implement it were reachable here (they are not: the
// Go module proxy refuses them). It is built from the CLI's module, so the generators are the CLI's own version.
//
// Usage: sdkgen SCHEMA.json OUT_DIR
//
// Writes OUT_DIR/nodejs, OUT_DIR/python and OUT_DIR/go; each must not exist or be empty (the caller moves the
// result into place, so a failed run leaves the committed SDKs as they were).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// tool is the name the generators write into every file's "do not edit" header.
const tool = "ims-record sdkgen (./run sdk)"

// noPackages is the schema loader: the package references no other package, and the generators need a non-nil
// loader (a nil one panics while binding), so every request is refused with a message that says why.
type noPackages struct{}

func (noPackages) refuse(name string) error {
	return fmt.Errorf("the schema references package %q; sdkgen resolves no other package", name)
}

func (l noPackages) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.refuse(name)
}

func (l noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.refuse(d.Name)
}

func (l noPackages) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.refuse(name)
}

func (l noPackages) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.refuse(d.Name)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen SCHEMA.json OUT_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}

// bind reads and binds the schema. Each generator records its language's info in the bound package, so each
// gets a package of its own.
func bind(schemaPath string) (*schema.Package, error) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", schemaPath, err)
	}
	importers := map[string]schema.Language{"nodejs": nodejs.Importer, "python": python.Importer, "go": gogen.Importer}
	pkg, err := schema.ImportSpec(spec, importers, noPackages{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", schemaPath, err)
	}
	return pkg, nil
}

func generate(language string, pkg *schema.Package) (map[string][]byte, error) {
	switch language {
	case "nodejs":
		return nodejs.GeneratePackage(tool, pkg, nil, nil, false, noPackages{})
	case "python":
		return python.GeneratePackage(tool, pkg, nil, noPackages{})
	default:
		return gogen.GeneratePackage(tool, pkg, nil)
	}
}

func run(schemaPath, outDir string) error {
	for _, language := range []string{"nodejs", "python", "go"} {
		pkg, err := bind(schemaPath)
		if err != nil {
			return err
		}
		files, err := generate(language, pkg)
		if err != nil {
			return fmt.Errorf("generating the %s SDK: %w", language, err)
		}
		dir := filepath.Join(outDir, language)
		if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty", dir)
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for name, content := range files {
			target := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(target, content, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
