package cache

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Zero fields take the defaults, and so do negative durations and counts; a negative NotFoundTTL
// or Jitter is kept (it disables the feature), and set fields are kept as they are.
func TestConfigDefaults(t *testing.T) {
	d := DefaultConfig()
	require.Equal(t, d, Config{}.withDefaults())

	neg := Config{CallTimeout: -1, FailureThreshold: -1, CoolDown: -1, CatalogTTL: -1, ProfileTTL: -1,
		AvailabilityTTL: -1, NearMaxEntries: -1, NotFoundTTL: -1, Jitter: -1}.withDefaults()
	want := d
	want.NotFoundTTL, want.Jitter = -1, -1
	require.Equal(t, want, neg)

	set := Config{Prefix: "p:", CallTimeout: time.Second, FailureThreshold: 7, CoolDown: time.Minute,
		CatalogTTL: time.Hour, ProfileTTL: 2 * time.Minute, AvailabilityTTL: 3 * time.Minute,
		NotFoundTTL: 4 * time.Second, Jitter: 0.2, NearTTL: time.Second, NearMaxEntries: 5}
	require.Equal(t, set, set.withDefaults())
}
