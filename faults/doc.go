// Package faults is InstaInstru's fault suite: each scenario runs the real binary as separate
// processes against a private PostgreSQL cluster and private redis-servers started by the suite
// (never the shared development services), drives load with package loadgen, injects one failure
// (Redis stopped, PostgreSQL restarted, a worker killed mid-send, the server sent SIGTERM, a
// cluster node killed) and then checks the promises a client was given: answers stay bounded
// and meaningful (200 from PostgreSQL, or 503 with Retry-After, never a 500 or a hang), no
// acknowledged booking or cancellation is lost, no booking is half-written, no email is lost or
// doubled, no reminder is lost.
//
// Each scenario prints one line, `PASS <name>` or `FAIL <name>: <why>`. `go test ./faults/` (and
// so `make test`) runs them at small sizes; FAULTS_FULL=1 (`make faults`) runs them longer and
// with more concurrent users. The package's code is all in its tests.
package faults
