// Package migrations holds InstaInstru's one schema as embedded goose SQL migrations.
//
// They are applied by `instainstru migrate` and by test helpers, never silently on start-up
// (the development `all` command runs them first on purpose).
package migrations

import "embed"

// FS is the embedded set of *.sql migrations, in goose's numbered order.
//
//go:embed *.sql
var FS embed.FS
