package persistence

import "time"

// PoolStats is a snapshot of the connection pool for monitoring (pgxpool's Stat, in plain types
// so nothing above this package names the driver).
type PoolStats struct {
	Acquired, Idle, Total, Max int32
	// Acquires counts successful acquires; EmptyAcquires those that found no idle connection and
	// waited; CanceledAcquires those abandoned when their context ended; AcquireDuration is the
	// total time successful acquires took.
	Acquires, EmptyAcquires, CanceledAcquires int64
	AcquireDuration                           time.Duration
}

// PoolStats reads the pool's counters (cheap: no database round trip).
func (s *Store) PoolStats() PoolStats {
	st := s.pool.Stat()
	return PoolStats{
		Acquired: st.AcquiredConns(), Idle: st.IdleConns(), Total: st.TotalConns(), Max: st.MaxConns(),
		Acquires: st.AcquireCount(), EmptyAcquires: st.EmptyAcquireCount(), CanceledAcquires: st.CanceledAcquireCount(),
		AcquireDuration: st.AcquireDuration(),
	}
}
