//go:build tools

// Package tools pins the Pulumi YAML language host that scripts/bootstrap.sh builds into .tools/bin, so that
// `runtime: yaml` projects (examples/yaml-quickstart) run with the bootstrapped CLI.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
