package actors

import (
	"reflect"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/instainstru/instainstru"
)

// fill sets every exported field of v (recursively) to a non-zero value, so a round trip that
// drops a field shows up as a difference.
func fill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == reflect.TypeOf((*error)(nil)).Elem() {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2030, 1, 2, 3, 4, 5, seed*1000, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed+i)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), seed+1)
		fill(s.Index(1), seed+2)
		v.Set(s)
	case reflect.String:
		v.SetString("s" + string(rune('a'+seed%26)))
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(seed + 1))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8:
		v.SetUint(uint64(seed%200 + 1))
	}
}

func filled[T any]() *T {
	var x T
	fill(reflect.ValueOf(&x).Elem(), 3)
	return &x
}

// setDeadline overwrites a decoded request's deadline with the original's, once checked.
func setDeadline(msg any, d time.Time) {
	switch m := msg.(type) {
	case *bookRequest:
		m.deadline = d
	case *cancelRequest:
		m.deadline = d
	case *rescheduleRequest:
		m.deadline = d
	case *finishRequest:
		m.deadline = d
	case *putWeekRequest:
		m.deadline = d
	case *copyWeekRequest:
		m.deadline = d
	case *applyPatternRequest:
		m.deadline = d
	case *blackoutRequest:
		m.deadline = d
	}
}

// TestWireRoundTripKeepsEveryField sends every message through the wire exactly as remoting
// does (RootSerializable, protobuf bytes, protobuf decode, RootSerialized) with every field of
// the domain values inside set, and wants the same message back.
func TestWireRoundTripKeepsEveryField(t *testing.T) {
	deadline := time.Now().Add(3 * time.Second)
	week := filled[instainstru.Week]()
	cases := []any{
		&bookRequest{deadline: deadline, req: filled[instainstru.BookLessonRequest](), bc: filled[instainstru.BookingContext](), idem: filled[instainstru.IdempotencyKey]()},
		&bookRequest{deadline: deadline, req: filled[instainstru.BookLessonRequest](), bc: filled[instainstru.BookingContext]()},
		&cancelRequest{deadline: deadline, bookingID: "b", userID: "u", reason: "r"},
		&rescheduleRequest{deadline: deadline, bookingID: "b", userID: "u", date: instainstru.Date{Year: 2030, Month: 2, Day: 3}, start: 615, duration: 45},
		&finishRequest{deadline: deadline, bookingID: "b", userID: "u", status: instainstru.BookingNoShow},
		&putWeekRequest{deadline: deadline, week: week},
		&copyWeekRequest{deadline: deadline, from: instainstru.Date{Year: 2030, Month: 1, Day: 7}, to: instainstru.Date{Year: 2030, Month: 1, Day: 14}},
		&applyPatternRequest{deadline: deadline, from: instainstru.Date{Year: 2030, Month: 1, Day: 7}, start: instainstru.Date{Year: 2030, Month: 1, Day: 8}, end: instainstru.Date{Year: 2030, Month: 3, Day: 8}},
		&blackoutRequest{deadline: deadline, add: true, blackout: *filled[instainstru.BlackoutDate]()},
		&bookingResponse{booking: filled[instainstru.Booking](), replayed: true},
		&bookingResponse{err: &instainstru.Error{Code: instainstru.CodeBookingConflict, Message: "taken",
			Fields: []instainstru.FieldError{{Field: "start_time", Message: "m"}}, RetryAfter: 2 * time.Second}},
		&availabilityResponse{week: week, datesUpdated: 7},
	}
	for _, msg := range cases {
		t.Run(reflect.TypeOf(msg).Elem().Name(), func(t *testing.T) {
			rs, err := msg.(remote.RootSerializable).Serialize()
			require.NoError(t, err)
			b, err := proto.Marshal(rs.(*WireEnvelope))
			require.NoError(t, err)
			var env WireEnvelope
			require.NoError(t, proto.Unmarshal(b, &env))
			back, err := env.Deserialize()
			require.NoError(t, err)
			// Deadlines travel as time left: equal within the time the test took.
			if d, ok := back.(deadlined); ok {
				require.WithinDuration(t, msg.(deadlined).when(), d.when(), time.Second)
				setDeadline(back, deadline)
			}
			require.Equal(t, msg, back)
		})
	}
}
