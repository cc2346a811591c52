package query

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits that keep Parse's work bounded whatever it is given. The HTTP layer already refuses
// queries over 500 characters; these only matter to other callers and to the fuzzer.
const (
	maxInputBytes = 2048 // bytes of the raw query read; the rest is ignored
	maxTokens     = 256  // tokens kept after normalization
)

// foldSpecial spells letters that Unicode decomposition leaves alone the way a person typing
// without the key would ("straße" → "strasse", "smørrebrød" → "smorrebrod").
var foldSpecial = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l", 'þ': "th",
	'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŋ': "n", 'ſ': "s",
}

// punctRune maps the punctuation that carries meaning to its one-character token; every other
// symbol, emoji or punctuation mark separates words and is dropped.
func punctRune(r rune) rune {
	switch r {
	case '$', '-', '/', '<', '>', '+', '#', '&', ',', '.', ':', '=':
		return r
	case '–', '—', '−', '‐', '‑', '‒', '―', '~':
		return '-' // dashes people (and phones) type for ranges
	case '⁄', '∕':
		return '/' // fraction slash, from "½" after decomposition
	case '≤':
		return '<'
	case '≥':
		return '>'
	}
	return 0
}

// isApostrophe reports runes removed without splitting the word ("children's" → "childrens").
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', '`', '´', 'ʻ':
		return true
	}
	return false
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// normalize lower-cases and folds q (diacritics removed, compatibility forms unified), then cuts
// it into tokens: runs of letters and digits, and one token per meaningful punctuation mark.
// '.', ':' and '/' between two digits stay inside the number ("1.5", "17:00", "12/5").
func normalize(q string) []string {
	if len(q) > maxInputBytes {
		n := maxInputBytes
		for n > 0 && !utf8.RuneStart(q[n]) {
			n--
		}
		q = q[:n]
	}
	ascii := true
	for i := 0; i < len(q); i++ {
		if q[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		// Invalid bytes become spaces first: NFKD leaves the text around them undecomposed, so
		// "\xf0ӹ" would keep its diaeresis while "ӹ" loses it.
		q = norm.NFKD.String(strings.ToValidUTF8(q, " "))
	}
	// Fold into a rune slice first so the tokenizer can look one rune ahead.
	folded := make([]rune, 0, len(q))
	for _, r := range q {
		if r < utf8.RuneSelf {
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			folded = append(folded, r)
			continue
		}
		r = unicode.ToLower(r)
		if unicode.In(r, unicode.Mn, unicode.Me) {
			continue // combining marks: the diacritics NFKD split off
		}
		if sp, ok := foldSpecial[r]; ok {
			folded = append(folded, []rune(sp)...)
			continue
		}
		folded = append(folded, r)
	}

	toks := make([]string, 0, 8)
	var word []rune
	flush := func() {
		if len(word) > 0 {
			toks = append(toks, string(word))
			word = word[:0]
		}
	}
	for i := 0; i < len(folded) && len(toks) < maxTokens; i++ {
		r := folded[i]
		switch {
		case isApostrophe(r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mc, r):
			word = append(word, r)
			continue
		}
		p := punctRune(r)
		if p == 0 {
			flush()
			continue
		}
		if (p == '.' || p == ':' || p == '/') && len(word) > 0 && isASCIIDigit(word[len(word)-1]) &&
			i+1 < len(folded) && isASCIIDigit(folded[i+1]) {
			word = append(word, p)
			continue
		}
		if p == ',' && len(word) > 0 && isASCIIDigit(word[len(word)-1]) && thousandsGroup(folded[i+1:]) {
			continue // "1,000": the comma only groups digits
		}
		flush()
		if len(toks) < maxTokens {
			toks = append(toks, string(p))
		}
	}
	if len(toks) < maxTokens {
		flush()
	}
	return toks
}

// thousandsGroup reports whether rs starts with exactly three digits (then a non-digit or the end).
func thousandsGroup(rs []rune) bool {
	if len(rs) < 3 || !isASCIIDigit(rs[0]) || !isASCIIDigit(rs[1]) || !isASCIIDigit(rs[2]) {
		return false
	}
	return len(rs) == 3 || !isASCIIDigit(rs[3])
}

func joinTokens(toks []string) string { return strings.Join(toks, " ") }
