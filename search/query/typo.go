package query

// Misspellings. A word of 4-7 letters may be one edit away from a known word, a word of 8 or more
// two edits (Damerau-Levenshtein, adjacent transposition counting as one edit). Candidates come
// from a deletion index (every known word with up to two letters removed), so a lookup costs a
// few dozen map probes instead of a scan of the vocabulary.

const (
	minTypoLen = 4
	maxTypoLen = 24 // longer tokens are not words anyone misspells; skipping them bounds the work
)

// allowedEdits is the edit budget between words of lengths a and b.
func allowedEdits(a, b int) int {
	n := min(a, b)
	switch {
	case n < minTypoLen:
		return 0
	case n < 8:
		return 1
	default:
		return 2
	}
}

// forDeletes calls f with w itself and every string obtained by deleting up to k runes of w.
// Duplicates may be reported; callers tolerate them.
func forDeletes(w []rune, k int, f func(string)) {
	f(string(w))
	if k == 0 || len(w) == 0 {
		return
	}
	buf := make([]rune, len(w)-1)
	for i := range w {
		copy(buf, w[:i])
		copy(buf[i:], w[i+1:])
		if k == 1 {
			f(string(buf))
			continue
		}
		forDeletes(append([]rune(nil), buf...), k-1, f)
	}
}

// editDistance is the optimal-string-alignment Damerau-Levenshtein distance of a and b, or
// limit+1 as soon as it must exceed limit.
func editDistance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	if len(a) > maxTypoLen || len(b) > maxTypoLen {
		return limit + 1
	}
	var rows [3][maxTypoLen + 1]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// correctWord returns the known word closest to w within the edit budget, its distance, and
// whether there is one. Ties go to the better-ranked word (a service name before a term, ...).
func (r *Reader) correctWord(w string) (string, int, bool) {
	rs := []rune(w)
	if len(rs) < minTypoLen || len(rs) > maxTypoLen {
		return "", 0, false
	}
	k := allowedEdits(len(rs), len(rs))
	bestRank, bestDist := int32(-1), k+1
	seen := map[int32]bool{}
	forDeletes(rs, k, func(d string) {
		for _, id := range r.deletes[d] {
			if seen[id] {
				continue
			}
			seen[id] = true
			cand := []rune(r.wordAt[id])
			lim := allowedEdits(len(rs), len(cand))
			if lim == 0 {
				continue
			}
			dist := editDistance(rs, cand, lim)
			if dist > lim || dist == 0 {
				continue
			}
			if dist < bestDist || (dist == bestDist && id < bestRank) {
				bestRank, bestDist = id, dist
			}
		}
	})
	if bestRank < 0 {
		return "", 0, false
	}
	return r.wordAt[bestRank], bestDist, true
}

// correctKeyword returns the constraint or filler word closest to w within the edit budget.
func correctKeyword(w string) (string, int, bool) {
	rs := []rune(w)
	if len(rs) < minTypoLen || len(rs) > maxTypoLen {
		return "", 0, false
	}
	best, bestDist := "", maxTypoLen
	for _, kw := range keywordRunes {
		lim := allowedEdits(len(rs), len(kw))
		if lim == 0 {
			continue
		}
		if kw[0] != rs[0] {
			continue // "might" is not "night": typos rarely hit the first letter
		}
		if d := editDistance(rs, kw, lim); d <= lim && d > 0 && d < bestDist {
			best, bestDist = string(kw), d
		}
	}
	return best, bestDist, best != ""
}

var keywordRunes, keywordSet = func() ([][]rune, map[string]bool) {
	rs := make([][]rune, len(keywordTargets))
	for i, k := range keywordTargets {
		rs[i] = []rune(k)
	}
	return rs, set(keywordTargets...)
}()
