package tasks

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hibiken/asynq"
)

func TestOutcomeOf(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, outcomeSuccess},
		{fmt.Errorf("smtp: %w", errors.New("421 try later")), outcomeRetry},
		{fmt.Errorf("bad payload: %w", asynq.SkipRetry), outcomeFailed},
		{fmt.Errorf("send: %w", context.DeadlineExceeded), outcomeTimedOut},
	} {
		if got := outcomeOf(ctx, c.err); got != c.want {
			t.Errorf("outcomeOf(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
