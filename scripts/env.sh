# Source this file (bash/zsh) to use the bootstrapped tools by hand: `source scripts/env.sh && pulumi stack ls`.
# `./run` sources it for every command. It only sets variables; `./run bootstrap` creates what they point at.
_ims_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export PATH="$_ims_root/.venv/bin:$PATH"
export VIRTUAL_ENV="$_ims_root/.venv"
# The CLI starts pulumi-resource-pulumi-python and pulumi-language-python from .venv/bin; both run this Python.
export PULUMI_PYTHON_CMD="$_ims_root/.venv/bin/python"
# A file backend and Pulumi's home inside the repo's ignored .state/: nothing touches ~/.pulumi or the network.
# metadata=skip: the file driver writes a ".attrs" sidecar per state file non-atomically, and a CLI killed during
# that write leaves an empty one that breaks every later command ("failed to load checkpoint: EOF").
export PULUMI_BACKEND_URL="file://$_ims_root/.state/backend?metadata=skip"
export PULUMI_HOME="$_ims_root/.state/pulumi-home"
# The passphrase of the demo stacks (Pulumi.local.yaml's salt belongs to it). Not a secret: those stacks hold
# none. Set PULUMI_CONFIG_PASSPHRASE(_FILE) yourself for stacks with real secrets.
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE=ims-record-local-demo
fi
export PULUMI_SKIP_UPDATE_CHECK=true
# Plugins come from PULUMI_HOME's cache (the bootstrap installs ims-record there) or from next to the CLI, as for
# users; without this the engine prefers .venv/bin/pulumi-resource-ims-record and warns "using ... from $PATH".
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset _ims_root
