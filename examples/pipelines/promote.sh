#!/usr/bin/env bash
# Carry a release DEV -> STAGING -> PROD 1 with the Verdict CLI only. CI calls one stage per job:
#
#   promote.sh build     push decisions to DEV, cut a release, export it signed to release.zip
#   promote.sh staging   apply release.zip to STAGING, deploy to its 'staging' environment, smoke test
#   promote.sh prod      apply the same release.zip to PROD 1 and deploy to 'prod'
#
# Settings (CI secrets and variables):
#   VERDICT_PROJECT                 project key on every instance
#   DEV_URL, DEV_TOKEN              DEV instance and an editor or deployer API token
#   STAGING_URL, STAGING_TOKEN      STAGING instance and a deployer API token
#   PROD_URL, PROD_TOKEN            PROD 1 instance and a deployer API token
#   SIGNING_KEY_FILE                Ed25519 private key (verdict keys generate); STAGING and PROD trust
#                                   its public key (VERDICT_TRUSTED_KEYS)
#   DECISIONS_DIR                   optional: folder of JDM files pushed to DEV before the release
#   RELEASE_LABEL                   optional: default <UTC date>-<CI run id>
#   SMOKE_DECISION, SMOKE_CONTEXT, STAGING_ACCESS_TOKEN
#                                   optional: a decision evaluated on STAGING before PROD
#   VERDICT                         optional: the CLI command (default: verdict, installed from your
#                                   Verdict repository: npm install -g git+https://.../verdict.git)
#   PACKAGE                         optional: package file (default: release.zip)
#
# Exit codes of `release apply`: 0 applied or already applied (re-running a stage is safe),
# 3 conflicts with the target, 4 package refused (modified, unsigned, untrusted signer).
set -euo pipefail

stage="${1:?usage: promote.sh build|staging|prod}"
VERDICT="${VERDICT:-verdict}"
PACKAGE="${PACKAGE:-release.zip}"
: "${VERDICT_PROJECT:?set VERDICT_PROJECT}"

case "$stage" in
  build)
    : "${DEV_URL:?}" "${DEV_TOKEN:?}" "${SIGNING_KEY_FILE:?}"
    label="${RELEASE_LABEL:-$(date -u +%Y.%m.%d)-${CI_PIPELINE_ID:-${GITHUB_RUN_ID:-local}}}"
    export VERDICT_URL="$DEV_URL" VERDICT_TOKEN="$DEV_TOKEN"
    if [ -n "${DECISIONS_DIR:-}" ]; then
      $VERDICT decision push "$DECISIONS_DIR" --project "$VERDICT_PROJECT" -m "pipeline ${label}"
    fi
    $VERDICT release create --project "$VERDICT_PROJECT" --label "$label" --notes "cut by pipeline ${CI_PIPELINE_ID:-${GITHUB_RUN_ID:-local}}"
    $VERDICT release export --project "$VERDICT_PROJECT" --release "$label" --sign-key "$SIGNING_KEY_FILE" -o "$PACKAGE"
    ;;
  staging)
    : "${STAGING_URL:?}" "${STAGING_TOKEN:?}"
    # Tokens travel in the environment, never on a command line (visible in the process list).
    export VERDICT_URL="$STAGING_URL" VERDICT_TOKEN="$STAGING_TOKEN"
    $VERDICT release apply "$PACKAGE" --project "$VERDICT_PROJECT" --env staging --wait
    if [ -n "${SMOKE_DECISION:-}" ]; then
      context="${SMOKE_CONTEXT:-}"
      [ -n "$context" ] || context='{}'
      export VERDICT_ACCESS_TOKEN="${STAGING_ACCESS_TOKEN:?set STAGING_ACCESS_TOKEN for the smoke test}"
      $VERDICT evaluate "$SMOKE_DECISION" --project "$VERDICT_PROJECT" --env staging --context "$context"
    fi
    ;;
  prod)
    : "${PROD_URL:?}" "${PROD_TOKEN:?}"
    export VERDICT_URL="$PROD_URL" VERDICT_TOKEN="$PROD_TOKEN"
    $VERDICT release apply "$PACKAGE" --project "$VERDICT_PROJECT" --env prod --wait
    ;;
  *)
    echo "promote.sh: unknown stage '$stage' (build, staging or prod)" >&2
    exit 2
    ;;
esac
