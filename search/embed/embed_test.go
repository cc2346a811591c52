package embed_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru/search/embed"
)

func sim(t *testing.T, e embed.Embedder, a, b string) float64 {
	t.Helper()
	v, err := e.Embed(context.Background(), []string{a, b})
	require.NoError(t, err)
	return embed.Cosine(v[0], v[1])
}

func TestBuiltinIsDeterministicAndNormalized(t *testing.T) {
	e := embed.NewBuiltin()
	a, _ := e.Embed(context.Background(), []string{"Brazilian Jiu-Jitsu", "Brazilian Jiu-Jitsu"})
	require.Len(t, a[0], 384)
	require.Equal(t, a[0], a[1])
	require.InDelta(t, 1.0, embed.Cosine(a[0], a[0]), 1e-6)
	var n float64
	for _, x := range a[0] {
		n += float64(x) * float64(x)
	}
	require.InDelta(t, 1.0, n, 1e-5)
	b, _ := embed.NewBuiltin().Embed(context.Background(), []string{"Brazilian Jiu-Jitsu"})
	require.Equal(t, a[0], b[0], "a fresh embedder gives the same vector")
}

func TestBuiltinSimilarWordsLandClose(t *testing.T) {
	e := embed.NewBuiltin()
	close := [][2]string{
		{"pianos", "piano"}, {"piano lessons", "piano"}, {"guitars", "guitar"},
		{"spanish conversation", "spanish"}, {"Español", "espanol"}, {"watercolour", "watercolor"},
		{"photography", "photograph"},
	}
	far := [][2]string{
		{"piano", "calculus"}, {"spanish", "boxing"}, {"yoga", "python"}, {"xqzv", "piano"},
		{"guitar", "chemistry"},
	}
	for _, p := range close {
		require.Greater(t, sim(t, e, p[0], p[1]), 0.5, "%q vs %q", p[0], p[1])
	}
	for _, p := range far {
		require.Less(t, sim(t, e, p[0], p[1]), 0.2, "%q vs %q", p[0], p[1])
	}
	require.Greater(t, sim(t, e, "pianos", "piano"), sim(t, e, "pianos", "guitar"))
}

// fakeProvider speaks the OpenAI embeddings wire format with the builtin embedder's vectors, sized
// dims, and lets a test make it fail or stall.
type fakeProvider struct {
	dims   int
	status atomic.Int32 // non-zero: answer with this status
	delay  atomic.Int64 // nanoseconds to sleep before answering
	calls  atomic.Int64 // requests served
	auth   atomic.Value // last Authorization header
	model  atomic.Value // last model
	srv    *httptest.Server
	inputs atomic.Int64 // texts embedded
}

func newFakeProvider(t *testing.T, dims int) *fakeProvider {
	f := &fakeProvider{dims: dims}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
			http.Error(w, "not found", 404)
			return
		}
		f.auth.Store(r.Header.Get("Authorization"))
		if d := time.Duration(f.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if s := f.status.Load(); s != 0 {
			http.Error(w, "provider trouble", int(s))
			return
		}
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		f.model.Store(req.Model)
		f.inputs.Add(int64(len(req.Input)))
		vecs, _ := embed.NewBuiltin().Embed(r.Context(), req.Input)
		type item struct {
			Embedding []float32 `json:"embedding"`
			Index     int       `json:"index"`
		}
		var resp struct {
			Data []item `json:"data"`
		}
		// Answer in reverse order: the client must place vectors by index.
		for i := len(vecs) - 1; i >= 0; i-- {
			v := make([]float32, f.dims)
			copy(v, vecs[i])
			resp.Data = append(resp.Data, item{Embedding: v, Index: i})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func TestOpenAIProviderWireFormat(t *testing.T) {
	f := newFakeProvider(t, 384)
	ctx := context.Background()
	o, err := embed.NewOpenAI(ctx, embed.OpenAIConfig{URL: f.srv.URL + "/v1", Model: "all-minilm", APIKey: "sekret"})
	require.NoError(t, err)
	require.Equal(t, "openai:all-minilm", o.Name())
	require.Equal(t, "Bearer sekret", f.auth.Load())
	require.Equal(t, "all-minilm", f.model.Load())

	vs, err := o.Embed(ctx, []string{"piano", "guitar", "piano"})
	require.NoError(t, err)
	require.Len(t, vs, 3)
	require.InDelta(t, 1.0, embed.Cosine(vs[0], vs[2]), 1e-6, "vectors are placed by index")
	require.Less(t, embed.Cosine(vs[0], vs[1]), 0.5)

	// The full endpoint URL is used as given.
	_, err = embed.NewOpenAI(ctx, embed.OpenAIConfig{URL: f.srv.URL + "/v1/embeddings", Model: "m"})
	require.NoError(t, err)
}

func TestOpenAIProviderStartupChecks(t *testing.T) {
	ctx := context.Background()
	wrong := newFakeProvider(t, 768)
	_, err := embed.NewOpenAI(ctx, embed.OpenAIConfig{URL: wrong.srv.URL + "/v1", Model: "bge-base"})
	require.ErrorContains(t, err, "768 dimensions, 384 configured")

	down := newFakeProvider(t, 384)
	down.status.Store(503)
	_, err = embed.NewOpenAI(ctx, embed.OpenAIConfig{URL: down.srv.URL + "/v1", Model: "m"})
	require.ErrorContains(t, err, "503")

	_, err = embed.NewOpenAI(ctx, embed.OpenAIConfig{URL: "", Model: "m"})
	require.Error(t, err)
}

func TestFallbackOn5xxAndTimeout(t *testing.T) {
	ctx := context.Background()
	f := newFakeProvider(t, 384)
	o, err := embed.NewOpenAI(ctx, embed.OpenAIConfig{URL: f.srv.URL + "/v1", Model: "m", Timeout: 150 * time.Millisecond})
	require.NoError(t, err)
	fb := embed.NewFallback(o, embed.NewBuiltin(), slog.New(slog.NewTextHandler(io.Discard, nil)))

	v, space, err := fb.EmbedSpace(ctx, []string{"violin"})
	require.NoError(t, err)
	require.Equal(t, "openai:m", space)
	require.Len(t, v[0], 384)

	f.status.Store(500)
	v, space, err = fb.EmbedSpace(ctx, []string{"violin"})
	require.NoError(t, err)
	require.Equal(t, embed.BuiltinName, space, "a 5xx falls back to the builtin embedder")
	require.Len(t, v[0], 384)
	require.EqualValues(t, 1, fb.Fallbacks())

	f.status.Store(0)
	f.delay.Store(int64(2 * time.Second))
	start := time.Now()
	_, space, err = fb.EmbedSpace(ctx, []string{"violin"})
	require.NoError(t, err)
	require.Equal(t, embed.BuiltinName, space, "a stalled provider times out and falls back")
	require.Less(t, time.Since(start), time.Second, "the timeout bounds the wait")
	require.EqualValues(t, 2, fb.Fallbacks())
}

func TestCacheLRU(t *testing.T) {
	ctx := context.Background()
	f := newFakeProvider(t, 384)
	o, err := embed.NewOpenAI(ctx, embed.OpenAIConfig{URL: f.srv.URL + "/v1", Model: "m", Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	base := f.inputs.Load()
	c := embed.NewCache(embed.NewFallback(o, embed.NewBuiltin(), slog.New(slog.NewTextHandler(io.Discard, nil))), 2)

	_, err = c.Embed(ctx, []string{"a1"})
	require.NoError(t, err)
	_, err = c.Embed(ctx, []string{"a1", "b2"})
	require.NoError(t, err)
	require.EqualValues(t, 2, f.inputs.Load()-base, "a1 was embedded once")
	_, err = c.Embed(ctx, []string{"c3"}) // evicts a1 (b2 is more recent)
	require.NoError(t, err)
	_, err = c.Embed(ctx, []string{"b2"})
	require.NoError(t, err)
	require.EqualValues(t, 3, f.inputs.Load()-base)
	_, err = c.Embed(ctx, []string{"a1"})
	require.NoError(t, err)
	require.EqualValues(t, 4, f.inputs.Load()-base, "a1 was evicted")
	_, _, n := c.Stats()
	require.Equal(t, 2, n)

	// Fallback answers are not cached and are never mixed with cached primary vectors.
	f.status.Store(500)
	v, space, err := c.EmbedSpace(ctx, []string{"a1", "zz"})
	require.NoError(t, err)
	require.Equal(t, embed.BuiltinName, space)
	require.Len(t, v, 2)
	f.status.Store(0)
	_, space, err = c.EmbedSpace(ctx, []string{"zz"})
	require.NoError(t, err)
	require.Equal(t, "openai:m", space)

	// Concurrent use is safe.
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				_, err := c.Embed(ctx, []string{string(rune('a' + (i+j)%5))})
				require.NoError(t, err)
			}
		}(i)
	}
	wg.Wait()
}
