#!/bin/sh
# Runs the exported dgm agent on a repository (see README.md):
#
#   ./run.sh REPO ISSUE.md [OUTDIR [FLAGS...]]
#
# The model: DGM_MODEL_URL and DGM_MODEL (defaults: what the agent was evolved with), DGM_API_KEY;
# optionally DGM_TOOL_MODE, DGM_MODEL_MAX_TOKENS, DGM_MODEL_TIMEOUT. FLAGS go to the agent
# (--max-steps N, --tool-mode auto|native|text, --bash-timeout SECONDS).
# Outside a container the agent runs shell commands on this machine as you: give it a throwaway clone.
set -eu
if [ "$#" -lt 2 ]; then
    echo "usage: $0 REPO ISSUE.md [OUTDIR [FLAGS...]]" >&2
    exit 2
fi
repo=$1
issue=$2
outdir=${3:-out}
shift 2
if [ "$#" -gt 0 ]; then shift; fi
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
default_url={{base_url}}
default_model={{model}}
DGM_MODEL_URL=${DGM_MODEL_URL:-$default_url}
DGM_MODEL=${DGM_MODEL:-$default_model}
export DGM_MODEL_URL DGM_MODEL
exec "${PYTHON:-python3}" "$here/agent/coding_agent.py" --problem-file "$issue" --repo "$repo" --outdir "$outdir" "$@"
