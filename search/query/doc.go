// Package query reads what a student types into the search box ("piano under $80 tomorrow
// evening", "keyboard lessons for kids") into a structured query: which catalog services or
// categories it names, and the constraints on price, date, time of day, duration, place and
// level. The search engine filters and ranks with the result; the API echoes it so a UI can show
// the reading as editable chips. NLS.md sections 1, 2 and 5 are the behaviour it implements.
//
// A Reader is built once per catalog (NewReader precomputes a phrase trie of every service name,
// slug and search term and every category name, slug and alias, a trie of known areas, and a
// deletion index for misspellings) and then reads each query in a few microseconds (Parse). Parse
// never fails and never panics; anything it cannot read is left for the service reader, and what
// that cannot place is returned as ServiceQuery with MatchPending.
//
// # How a query is read
//
//  1. Normalize: lower case, compatibility-decomposed with diacritics removed ("Español" reads
//     "espanol"), emoji and symbols dropped, apostrophes removed inside words ("kid's" → "kids"),
//     the punctuation that carries meaning ($ - / < > + # & , . : =) spaced out as its own token,
//     except "." ":" "/" between digits ("1.5", "17:00", "12/5") and "," grouping thousands.
//  2. Misspelled constraint and filler words are corrected ("tomorow", "lesons") when no catalog
//     word is as close and the first letter agrees ("might" never becomes "night").
//  3. Catalog phrases of two or more words are protected, so constraints cannot take their words:
//     "sat prep" stays the exam, "online marketing" stays a service, "algebra 2" keeps its 2.
//  4. Constraints are read left to right and their words removed (see below).
//  5. The service is read from what is left: see readService. Phrases are found anywhere among
//     the leftover words; the phrase with the most non-filler words wins a conflict ("learn spanish
//     guitar" is Classical Guitar), then the longer, then the earlier. A service's own name or slug
//     beats another service's search term; a service phrase beats a category phrase. Names with a
//     parenthesis are known with and without it ("Go (Golang)": "go", "golang"), hyphenated words
//     also closed up ("jiujitsu"), unknown plurals of known words made singular ("guitars").
//
// # Constraint rules worth knowing
//
//   - Price or time in "between A and B" / "from A to B": a currency mark ("$", "dollars",
//     "bucks", "usd") on either side makes a price; am/pm, "noon", "midnight", "o'clock" or a
//     colon on either side makes a time. Two bare numbers are a time when both are hours (0-23)
//     that form an increasing window once read as lesson hours ("between 3 and 5" is
//     15:00-17:00), otherwise a price ("between 50 and 80" is $50-$80). Failing both, two dates
//     ("between dec 5 and dec 8").
//   - A bare hour is read as a lesson hour: 1-7 are 13:00-19:00, 8-11 morning, 12 noon, 13-23 as
//     written. In a window the first bare hour takes the second's am/pm ("3-5pm" is 15-17,
//     "11 to 1pm" is 11-13).
//   - A lone money amount ("piano $60", "$60/hr") is a ceiling. "per hour", "/hr", "an hour",
//     "a lesson" after a price belong to the price, never to a duration. A bare number after a
//     price word is a price ("under 80") unless a time or duration unit follows ("under 30
//     minutes"), or it is an age ("kids under 10", "under 10 years old").
//   - "sat" alone is the SAT exam (a catalog term). It is Saturday after "on", "this", "next",
//     "every", "by", "until", "or", "and" or another weekday, or before a time of day ("sat
//     morning", "sat at 10am").
//   - Weekdays: "monday", "on tue", "this friday", "every monday", "mondays" are the next such day,
//     today included; "next friday" is the Friday of next (Monday-Sunday) week. A weekday named
//     with a range ("next week tuesday") is placed inside it.
//   - "this week" is today to Sunday; "next week" next Monday to Sunday; "this weekend" the coming
//     Saturday-Sunday (on a Sunday, just today); "next weekend" the one after; "this month" today to
//     month end; "next month" all of it. "tonight" is today after 17:00. A month and day without a
//     year that has already passed this year ("nov 17" on Nov 18) is next year's; a date that does
//     not exist ("feb 30") is read and dropped.
//   - Times of day: morning 06:00-12:00, afternoon 12:00-17:00, evening 17:00-22:00, night and
//     tonight after 17:00, lunch 11:00-14:00, "after school" after 15:00, "after work" after 17:00,
//     "before noon", "after 5pm", "by 6", "until 8pm", "at 4pm" (start exactly at 16:00, also a
//     lone "4pm" or "noon"), "3-5pm". "before midnight" ends at 24:00.
//   - Conflicts: two prices or two time windows that cannot both hold keep the later one ("under
//     $50 over $80" reads min $80); compatible ones intersect. Two dates that overlap intersect;
//     two that do not are alternatives ("tomorrow or friday") and read as the span from the
//     earliest to the latest. For duration, place and level the last one written wins.
//   - "in <area>", "near <area>", "around <area>", "by <area>", "close to <area>" (optionally
//     with "the") set Location only for an area of the Vocabulary, longest match; otherwise the
//     words stay for the service reader.
//
// # Bounds
//
// Parse reads at most the first 2048 bytes and 256 tokens of a query, looks up at most eight
// unknown words as misspellings, and only words of 4 to 24 letters; every reader looks a bounded
// number of tokens ahead and no regular expressions are used, so the work is linear in the query.
package query
