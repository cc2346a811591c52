// Package persistence is the only package that talks to PostgreSQL (pgx) and Redis. Stores are
// methods on *Store, one file per aggregate, with hand-written SQL visible in each method; driver
// errors are translated to *instainstru.Error here so nothing above sees pgx.
package persistence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
	"github.com/pressly/goose/v3"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/migrations"
)

// Store is the PostgreSQL-backed store of every aggregate.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore wraps an open pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Open connects a pool. Migrations must have run first: pgvector's type registration in
// AfterConnect fails until the vector extension exists in the database.
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error { return pgxvec.RegisterTypes(ctx, c) }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return pool, nil
}

func gooseDB(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	return stdlib.OpenDB(*cfg), nil
}

func init() {
	goose.SetBaseFS(migrations.FS)
	goose.SetLogger(goose.NopLogger())
	if err := goose.SetDialect("postgres"); err != nil {
		panic(err)
	}
}

// Migrate brings the schema up to date and returns the resulting version.
func Migrate(ctx context.Context, url string) (int64, error) {
	db, err := gooseDB(url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := goose.UpContext(ctx, db, "."); err != nil {
		return 0, fmt.Errorf("migrate up: %w", err)
	}
	return goose.GetDBVersionContext(ctx, db)
}

// MigrateDown rolls back one migration (or all of them when toZero) and returns the version.
func MigrateDown(ctx context.Context, url string, toZero bool) (int64, error) {
	db, err := gooseDB(url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if toZero {
		err = goose.DownToContext(ctx, db, ".", 0)
	} else {
		err = goose.DownContext(ctx, db, ".")
	}
	if err != nil {
		return 0, fmt.Errorf("migrate down: %w", err)
	}
	return goose.GetDBVersionContext(ctx, db)
}

// LatestMigration is the highest migration version embedded in this binary.
func LatestMigration() (int64, error) {
	ms, err := goose.CollectMigrations(".", 0, goose.MaxVersion)
	if err != nil {
		return 0, err
	}
	last, err := ms.Last()
	if err != nil {
		return 0, err
	}
	return last.Version, nil
}

// SchemaVersion reads the applied migration version through the pool (readiness checks).
// collect reads every row of a query with scan. A failed query surfaces through the rows (pgx
// reports it from rows.Err), so callers write one line per read; errors are translated naming what.
func collect[T any](rows pgx.Rows, what string, scan pgx.RowToFunc[T]) ([]T, error) {
	out, err := pgx.CollectRows(rows, scan)
	return out, translate(err, what)
}

func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	const q = `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`
	var v int64
	if err := s.pool.QueryRow(ctx, q).Scan(&v); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // no goose table yet
			return 0, nil
		}
		return 0, err
	}
	return v, nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// inTx runs fn in a transaction and translates whatever fails, including BEGIN and COMMIT
// themselves (a deadline there is unavailable, not internal).
func (s *Store) inTx(ctx context.Context, what string, fn func(pgx.Tx) error) error {
	return translate(pgx.BeginFunc(ctx, s.pool, fn), what)
}

// SQLSTATEs raised by the fence functions of migration 00005.
const (
	sqlCalendarChanged       = "IIF01"
	sqlStudentInactive       = "IIS01"
	sqlInstructorUnavailable = "IIU01"
)

// fence is the statement that checks and bumps the instructor's calendar version in a write's
// transaction (calendar_fence); it returns the new version.
const fenceSQL = `SELECT calendar_fence($1, $2)`

// execFence runs the fence in tx and returns the new calendar version.
func execFence(ctx context.Context, tx pgx.Tx, instructorID string, expected int64) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx, fenceSQL, instructorID, expected).Scan(&v)
	return v, translate(err, "calendar")
}

// translate maps driver errors to domain errors: no rows → not_found, unique and exclusion
// violations → conflict (callers refine the code by constraint name), CHECK/FK → validation.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var de *instainstru.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: what + " not found"}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || pgconn.Timeout(err) {
		return &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "the database did not answer in time", Cause: err}
	}
	if connectionLost(err) {
		return &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "the database is unreachable; retry", RetryAfter: 2 * time.Second, Cause: err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57014", "55P03":
			// query_canceled (pgx cancels a query whose context ended: the request deadline) and
			// lock_not_available (a lock_timeout): a dependency stall, not a bug.
			return &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "the database did not answer in time", RetryAfter: time.Second, Cause: err}
		case "23505", "23P01":
			return &instainstru.Error{Code: instainstru.CodeConflict, Message: what + " conflicts with an existing one", Cause: err}
		case "23514", "23503", "22P02", "22007", "22008", "22003", "22021", "22001":
			return &instainstru.Error{Code: instainstru.CodeInvalid, Message: what + " is invalid", Cause: err}
		case sqlCalendarChanged:
			return &instainstru.Error{Code: instainstru.CodeCalendarChanged, Message: "the instructor's calendar changed", Cause: err}
		case sqlStudentInactive:
			return &instainstru.Error{Code: instainstru.CodeForbidden, Message: "your account is not active", Cause: err}
		case sqlInstructorUnavailable:
			return &instainstru.Error{Code: instainstru.CodeInstructorUnavailable, Message: "this instructor or service is not taking bookings", Cause: err}
		case "40P01", "40001":
			// Deadlock, serialization failure: nothing committed.
			return &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "the database was busy; retry", RetryAfter: time.Second, Cause: err}
		}
	}
	return instainstru.Internal(err)
}

// connectionLost reports whether err means the server could not be reached or went away (it is
// down, restarting or shutting down): a dependency outage answered 503 with Retry-After, not a bug.
func connectionLost(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 (connection exception), admin_shutdown, crash_shutdown, cannot_connect_now.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// constraintOf returns the name of the violated constraint, if err is a PostgreSQL constraint error.
func constraintOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}
