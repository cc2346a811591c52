package query

import (
	"bufio"
	"os"
	"testing"
)

// TestExplore prints how the queries in $QUERY_EXPLORE (one a line) are read; a development aid.
func TestExplore(t *testing.T) {
	path := os.Getenv("QUERY_EXPLORE")
	if path == "" {
		t.Skip("QUERY_EXPLORE not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := testReader(t)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		t.Logf("%-45q %s", sc.Text(), describe(r.Parse(sc.Text(), refNow, newYork)))
	}
}
