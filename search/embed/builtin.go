package embed

import (
	"context"
	"hash/fnv"
	"math"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Builtin is the in-process, deterministic embedder: feature hashing of word unigrams, word
// bigrams and character 3–5-grams of each word (with boundary marks), each feature hashed (FNV-1a)
// to one of the dimensions with a hash-derived sign so collisions cancel out on average, weighted
// sublinearly (1 + ln tf) and L2-normalized. It knows no meaning, only spelling: "pianos" lands
// near "piano" through shared character grams, "fiddle" does not land near "violin". It needs no
// model files and is the offline default; the HTTP provider brings real semantics.
//
// Words that say nothing about a subject ("lessons", "for", "the") are left out, so "piano
// lessons" is as close to "piano" as spelling allows.
type Builtin struct{}

// NewBuiltin returns the built-in embedder.
func NewBuiltin() *Builtin { return &Builtin{} }

// BuiltinName is the space of the built-in embedder; bump the version when features change.
const BuiltinName = "builtin-v1"

// Dimensions is 384.
func (*Builtin) Dimensions() int { return Dimensions }

// Name is BuiltinName.
func (*Builtin) Name() string { return BuiltinName }

// Feature weights: whole words weigh most, the many character grams of a word together about as
// much as the word, bigrams add a little word-order signal.
const (
	weightWord   = 1.0
	weightBigram = 0.5
	weightGram   = 0.35
)

// stopwords carry no subject: generic lesson words and function words.
var stopwords = map[string]bool{
	"a": true, "an": true, "the": true, "for": true, "with": true, "and": true, "or": true, "of": true,
	"to": true, "in": true, "on": true, "my": true, "me": true, "i": true, "lesson": true, "lessons": true,
	"class": true, "classes": true, "teacher": true, "teachers": true, "tutor": true, "instructor": true,
	"coach": true, "learn": true, "learning": true, "course": true, "near": true, "find": true, "need": true,
}

// Embed embeds each text; it never fails.
func (b *Builtin) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = b.embedOne(t)
	}
	return out, nil
}

func (b *Builtin) embedOne(text string) []float32 {
	words := Words(text)
	tf := make(map[string]float64, len(words)*12)
	for i, w := range words {
		tf["w:"+stem(w)] += weightWord
		if i > 0 {
			tf["b:"+stem(words[i-1])+" "+stem(w)] += weightBigram
		}
		padded := []rune("<" + w + ">")
		for n := 3; n <= 5; n++ {
			for j := 0; j+n <= len(padded); j++ {
				tf["g:"+string(padded[j:j+n])] += weightGram
			}
		}
	}
	v := make([]float32, Dimensions)
	for f, w := range tf {
		h := fnv.New64a()
		_, _ = h.Write([]byte(f))
		sum := h.Sum64()
		idx := int(sum % Dimensions)
		sign := float32(1)
		if sum>>63 == 1 {
			sign = -1
		}
		// Sublinear: a feature seen several times counts 1 + ln(count) times its weight unit.
		v[idx] += sign * float32(sublinear(w))
	}
	return Normalize(v)
}

// stem is a very light plural stemmer for word features ("pianos" → "piano", "classes" stays
// apart from "class" only through its grams): a trailing s is dropped from words longer than
// three letters that do not end in "ss", "us" or "is".
func stem(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") {
		return w[:len(w)-1]
	}
	return w
}

// sublinear maps an accumulated weight w to (1 + ln w) for w >= 1, and w itself below.
func sublinear(w float64) float64 {
	if w <= 1 {
		return w
	}
	return 1 + math.Log(w)
}

// Words lower-cases, folds accents away ("español" → "espanol"), splits on anything that is not a
// letter or digit, and drops stopwords.
func Words(text string) []string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(text)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	fs := strings.Fields(b.String())
	out := fs[:0]
	for _, w := range fs {
		if !stopwords[w] {
			out = append(out, w)
		}
	}
	return out
}
