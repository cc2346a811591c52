#!/usr/bin/env bash
# dev-services.sh: bring up what InstaInstru needs on a Debian (bookworm) machine, idempotently.
#
#   PostgreSQL 15 on 127.0.0.1:5432 with the extensions vector (pgvector >= 0.8), btree_gist, pg_trgm
#   Redis on 127.0.0.1:6379
#   databases: instainstru (development) and instainstru_test (tests)
#
# For each service: if it already answers, it is used as is; if it is installed but stopped, it is
# started; if it is missing, it is installed from Debian's packages. pgvector is not packaged for
# bookworm, so when the `vector` extension is unavailable it is built from Debian's trixie source
# package against postgresql-server-dev-15. The apt mirror is read from this machine's own apt
# configuration, so the script works behind whatever mirror the machine is set up with.
#
# Runs as root (or through sudo when available). Prints one line per decision.
set -euo pipefail

PG_VERSION=15
PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
DATABASES=(instainstru instainstru_test)
EXTENSIONS=(vector btree_gist pg_trgm)
PGVECTOR_MIN=0.8.0

say() { printf '[dev-services] %s\n' "$*"; }
die() { printf '[dev-services] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo" || SUDO=""
fi
as_root() { if [ -n "$SUDO" ]; then $SUDO "$@"; else "$@"; fi; }

APT_UPDATED=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    as_root apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  say "installing from Debian packages: $*"
  as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bin() { echo "/usr/lib/postgresql/${PG_VERSION}/bin/$1"; }

pg_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1
  else
    return 1
  fi
}

# psql as the postgres superuser over TCP (trust auth on these machines); falls back to the local
# socket as the postgres OS user when TCP auth needs a password.
psql_admin() {
  if psql -X -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres "$@"
  else
    as_root runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"
  fi
}

ensure_postgres() {
  if pg_answers; then
    say "PostgreSQL answers on ${PG_HOST}:${PG_PORT}: using it"
    return
  fi
  if [ ! -x "$(pg_bin postgres)" ]; then
    apt_install "postgresql-${PG_VERSION}" postgresql-client-common "postgresql-client-${PG_VERSION}" postgresql-contrib 2>/dev/null \
      || apt_install "postgresql-${PG_VERSION}" "postgresql-client-${PG_VERSION}"
  fi
  if command -v pg_lsclusters >/dev/null 2>&1 && ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "${PG_VERSION} main"; then
    say "creating cluster ${PG_VERSION}/main"
    as_root pg_createcluster "$PG_VERSION" main --port "$PG_PORT" >/dev/null
  fi
  # Trust auth on loopback for a development machine, as the project's machines are set up.
  local hba="/etc/postgresql/${PG_VERSION}/main/pg_hba.conf"
  if [ -f "$hba" ] && ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    say "allowing trust auth on 127.0.0.1 in $hba (development only)"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  say "starting PostgreSQL ${PG_VERSION}"
  as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start || true
  for _ in $(seq 1 60); do pg_answers && break; sleep 0.5; done
  pg_answers || die "PostgreSQL did not come up on ${PG_HOST}:${PG_PORT}"
  say "PostgreSQL is up"
}

vector_available() {
  [ "$(psql_admin -d postgres -tAc "select count(*) from pg_available_extensions where name='vector'" 2>/dev/null)" = "1" ]
}

# The first deb URI of this machine's Debian sources (deb822 or one-line format).
debian_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "cannot find a Debian mirror in this machine's apt sources"
  echo "$uri"
}

build_pgvector() {
  say "extension 'vector' is not available: building pgvector from Debian's trixie source package"
  apt_install "postgresql-server-dev-${PG_VERSION}" build-essential dpkg-dev ca-certificates
  local work; work=$(mktemp -d)
  local mirror; mirror=$(debian_mirror)
  mkdir -p "$work/lists/partial" "$work/src"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror} trixie main" > "$work/trixie-src.list"
  local aptopts=(-o "Dir::Etc::SourceList=$work/trixie-src.list" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
  say "fetching the trixie source index (private list, the system's apt sources are untouched)"
  apt-get "${aptopts[@]}" update -qq >/dev/null
  (cd "$work/src" && apt-get "${aptopts[@]}" source --download-only -qq pgvector >/dev/null)
  local dsc; dsc=$(ls "$work"/src/pgvector_*.dsc | head -1)
  [ -n "$dsc" ] || die "pgvector source package not found"
  (cd "$work/src" && dpkg-source -x --no-check "$(basename "$dsc")" pgvector-src >/dev/null)
  say "building $(basename "$dsc" .dsc) against PostgreSQL ${PG_VERSION}"
  make -s -C "$work/src/pgvector-src" PG_CONFIG="$(pg_bin pg_config)" OPTFLAGS="" >/dev/null
  as_root make -s -C "$work/src/pgvector-src" PG_CONFIG="$(pg_bin pg_config)" install >/dev/null
  rm -rf "$work"
  say "pgvector installed"
}

ensure_extensions_available() {
  if ! vector_available; then
    build_pgvector
    vector_available || die "pgvector was built but PostgreSQL does not list the 'vector' extension"
  fi
  local v; v=$(psql_admin -d postgres -tAc "select default_version from pg_available_extensions where name='vector'")
  if [ "$(printf '%s\n%s\n' "$PGVECTOR_MIN" "$v" | sort -V | head -1)" != "$PGVECTOR_MIN" ]; then
    die "pgvector $v is older than $PGVECTOR_MIN (iterative index scans need 0.8)"
  fi
  say "pgvector $v available"
  if [ "$(psql_admin -d postgres -tAc "select count(*) from pg_available_extensions where name in ('btree_gist','pg_trgm')")" != "2" ]; then
    apt_install postgresql-contrib
  fi
}

ensure_databases() {
  local db ext
  for db in "${DATABASES[@]}"; do
    if [ "$(psql_admin -d postgres -tAc "select count(*) from pg_database where datname='${db}'")" = "0" ]; then
      psql_admin -d postgres -c "create database ${db}" >/dev/null
      say "created database ${db}"
    fi
    for ext in "${EXTENSIONS[@]}"; do
      psql_admin -d "$db" -c "create extension if not exists ${ext}" >/dev/null 2>&1
    done
    say "database ${db}: extensions ${EXTENSIONS[*]} present"
  done
  # Tests create one fresh database per package from this template so they never share state.
  psql_admin -d postgres -c "alter role postgres createdb" >/dev/null 2>&1 || true
}

redis_answers() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/${REDIS_HOST}/${REDIS_PORT}" && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null
  fi
}

ensure_redis() {
  if redis_answers; then
    say "Redis answers on ${REDIS_HOST}:${REDIS_PORT}: using it"
    return
  fi
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  say "starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/instainstru-dev.log >/dev/null
  for _ in $(seq 1 40); do redis_answers && break; sleep 0.25; done
  redis_answers || die "Redis did not come up on ${REDIS_HOST}:${REDIS_PORT}"
  say "Redis is up"
}

main() {
  local t0=$SECONDS
  command -v psql >/dev/null 2>&1 || apt_install "postgresql-client-${PG_VERSION}"
  ensure_postgres
  ensure_extensions_available
  ensure_databases
  ensure_redis
  say "ready in $((SECONDS - t0))s: postgres://postgres@${PG_HOST}:${PG_PORT}/instainstru  redis://${REDIS_HOST}:${REDIS_PORT}/0"
}

main "$@"
