#!/usr/bin/env bash
# Make `docker compose` (Compose v2) available, for tests/test_compose.py and for running
# docker-compose.yml. Does nothing (in well under a second) when a Compose v2 or newer already
# answers, as `docker compose` or as `docker-compose`.
#
# Otherwise builds Docker Compose $COMPOSE_VERSION from its Go module (the Go module proxy; no
# download from GitHub) and installs it as a Docker CLI plugin:
#   $DOCKER_CONFIG/cli-plugins/docker-compose            when DOCKER_CONFIG is set
#   /usr/local/lib/docker/cli-plugins/docker-compose     as root
#   ~/.docker/cli-plugins/docker-compose                 otherwise
# and, when there is no `docker` command, as `docker-compose` in /usr/local/bin (root) or
# ~/.local/bin. A fresh build takes about 2.5 minutes on 2 cores (downloads included); Go's
# caches make a second one faster.
#
# Debian 12's own `docker-compose` package is Compose v1 (1.29, Python), which has no
# `config --format json`, and `docker-compose-plugin` is not in Debian: hence the build.
#
# Usage: scripts/compose-tool.sh            install when missing (idempotent)
#        scripts/compose-tool.sh --check    exit 0 when a Compose v2+ answers, 1 otherwise
#
# Environment: TRENDMON_COMPOSE_VERSION   the version to build (default below). Needs go >= 1.24.
set -euo pipefail

COMPOSE_VERSION=${TRENDMON_COMPOSE_VERSION:-v2.40.3}
COMPOSE_MODULE=github.com/docker/compose/v2

log() { printf '[compose-tool] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Prints "docker compose" or "docker-compose" (the first that is Compose v2 or newer).
compose_command() {
    local version
    for cmd in "docker compose" "docker-compose"; do
        # shellcheck disable=SC2086  # $cmd is one or two words on purpose
        version=$($cmd version --short 2>/dev/null) || continue
        version=${version#v}
        # Compose v1 says 1.x; v2 and later have `config --format json`.
        if [[ $version =~ ^[0-9]+ ]] && ((BASH_REMATCH[0] >= 2)); then
            echo "$cmd"
            return 0
        fi
    done
    return 1
}

plugin_dir() {
    if [[ -n ${DOCKER_CONFIG:-} ]]; then
        echo "$DOCKER_CONFIG/cli-plugins"
    elif ((EUID == 0)); then
        echo /usr/local/lib/docker/cli-plugins
    else
        echo "$HOME/.docker/cli-plugins"
    fi
}

build_and_install() {
    command -v go >/dev/null || die "go not found: Docker Compose is built from its Go module"
    local work src dir bin
    work=$(mktemp -d)
    # shellcheck disable=SC2064  # expand now: $work is local
    trap "rm -rf '$work'" EXIT

    log "no Docker Compose v2 found: building $COMPOSE_MODULE $COMPOSE_VERSION (a few minutes)"
    local started=$SECONDS
    # `go install MODULE/cmd@VERSION` refuses this module (its go.mod has exclude directives), so
    # build it as the main module, from a writable copy of its source in the module cache.
    src=$(go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    [[ -n $src && -d $src ]] || die "go mod download $COMPOSE_MODULE@$COMPOSE_VERSION gave no source"
    cp -R "$src" "$work/src"
    chmod -R u+w "$work/src"
    (cd "$work/src" && CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
        -o "$work/docker-compose" ./cmd) >&2 || die "go build of Docker Compose failed"

    dir=$(plugin_dir)
    mkdir -p "$dir"
    # Into place atomically: a concurrent run sees the old file or the new one, never half of it.
    install -m 0755 "$work/docker-compose" "$dir/.docker-compose.$$"
    mv -f "$dir/.docker-compose.$$" "$dir/docker-compose"
    log "installed $dir/docker-compose ($COMPOSE_VERSION) in $((SECONDS - started)) s"

    if ! command -v docker >/dev/null; then
        if ((EUID == 0)); then bin=/usr/local/bin; else bin=$HOME/.local/bin; fi
        mkdir -p "$bin"
        ln -sf "$dir/docker-compose" "$bin/docker-compose"
        log "no docker command: linked $bin/docker-compose"
    fi
}

main() {
    local found
    if found=$(compose_command); then
        [[ ${1:-} == --check ]] || log "$found: $($found version --short)"
        return 0
    fi
    [[ ${1:-} == --check ]] && return 1
    build_and_install
    found=$(compose_command) \
        || die "built Docker Compose, but neither \`docker compose\` nor \`docker-compose\` answers"
    log "$found: $($found version --short)"
}

main "$@"
