package tasks

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/instainstru/instainstru/metrics"
)

func TestOutcomeOf(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, metrics.OutcomeSuccess},
		{fmt.Errorf("smtp: %w", errors.New("421 try later")), metrics.OutcomeRetry},
		{fmt.Errorf("bad payload: %w", asynq.SkipRetry), metrics.OutcomeFailed},
		{fmt.Errorf("send: %w", context.DeadlineExceeded), metrics.OutcomeTimedOut},
	} {
		if got := outcomeOf(ctx, c.err); got != c.want {
			t.Errorf("outcomeOf(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
