#!/bin/sh
# glase-agent on a technician's PATH (docs/install.md §1): installed as /usr/local/bin/glase-agent,
# it runs the production bundle exactly as systemd/glase-agent.service runs the daemon — the same
# node, the same V8 flags and environment, the same dist/ of the checkout — so `glase-agent ctl …`,
# `register`, `doctor`, `restore` behave as the service does. test/daemon/build.test.ts keeps this
# file equal to the unit's ExecStart= and Environment= lines.
#
# GLASE_AGENT_HOME: the checkout, when it is not /opt/glase-agent (the unit's path).
set -eu
GLASE_AGENT_HOME="${GLASE_AGENT_HOME:-/opt/glase-agent}"
if [ ! -f "$GLASE_AGENT_HOME/dist/glase-agent.mjs" ]; then
  echo "glase-agent: $GLASE_AGENT_HOME/dist/glase-agent.mjs is missing: build it (cd $GLASE_AGENT_HOME && npm ci && npm run build)" >&2
  exit 1
fi
export MALLOC_ARENA_MAX=2
exec /usr/bin/node --max-semi-space-size=1 --v8-pool-size=1 --no-opt --optimize-for-size "$GLASE_AGENT_HOME/dist/glase-agent.mjs" "$@"
