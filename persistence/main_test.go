package persistence_test

import (
	"testing"

	"github.com/instainstru/instainstru/persistence/testenv"
)

// db is this package's fresh, migrated database (see testenv).
var db *testenv.DB

func TestMain(m *testing.M) { testenv.Main(m, "persistence", &db) }
