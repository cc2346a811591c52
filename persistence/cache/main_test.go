package cache_test

import (
	"testing"

	"github.com/instainstru/instainstru/persistence/testenv"
)

// db is this package's fresh, migrated database (see testenv): the decorators' tests wrap its store.
var db *testenv.DB

func TestMain(m *testing.M) { testenv.Main(m, "cache", &db) }
