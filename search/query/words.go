package query

// Word lists. Kept as sets built once; the reader never allocates them per query.

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// filler are words that never name a service on their own. They are skipped when the service is
// read, yet a catalog phrase made only of them ("tutor", "tutoring", "go") still counts when
// nothing else is left (a weak match: "math tutor" is Math, "tutor" alone the tutoring
// category), and phrases that contain them ("learn to swim") match as a whole.
var filler = set(
	"lesson", "lessons", "class", "classes", "teacher", "teachers", "tutor", "tutors",
	"instructor", "instructors", "coach", "coaches", "coaching", "trainer", "trainers",
	"find", "me", "i", "im", "ive", "id", "need", "needs", "looking", "look", "search", "searching",
	"for", "a", "an", "the", "with", "want", "wants", "wanna", "would", "like", "please", "pls", "plz",
	"some", "my", "to", "learn", "learning", "how", "teach", "teaches", "teaching", "taught",
	"someone", "somebody", "who", "can", "could", "do", "does", "get", "good", "best", "great",
	"top", "rated", "local", "nearby", "available", "free", "open", "any", "anyone", "anything",
	"all", "is", "are", "there", "you", "your", "have", "has", "we", "our", "us", "in", "on", "at",
	"near", "of", "and", "or", "from", "by", "until", "till", "til", "between", "under", "over",
	"above", "below", "than", "less", "more", "max", "min", "per", "this", "next", "day", "days",
	"week", "weeks", "time", "times", "session", "sessions", "course", "courses", "private",
	"hour", "hours", "minute", "minutes", "mins", "hr", "hrs", "long", "quick", "new",
	"experienced", "certified", "professional", "qualified", "patient", "friendly", "fun",
	"program", "programs", "son", "daughter", "help", "go", "going", "start", "starting",
	"take", "taking", "practice", "play", "playing", "improve", "better", "just", "also",
	"really", "very", "much", "so", "then", "too", "as", "be", "been", "it", "that", "what",
	"where", "when", "which", "will", "should", "lets", "let", "try", "trying", "one", "around",
	"early", "late", "price", "prices", "rate", "rates", "cost", "costs", "weekday", "weekdays",
	"weekly", "each", "every", "up", "most", "least", "not", "no", "around", "about", "other",
	"lessen", "tutoring", "tuition", "cheap", "person", "people", "student", "students",
	"ok", "okay", "hi", "hello", "thanks", "thank", "want", "looking", "here", "now", "soon",
	"asap", "available", "availability", "book", "booking", "schedule", "sessions", "s",
	"may", "might", "maybe", "total", "complete", "absolute", "little", "young", "small", "later",
)

// keywordTargets are the constraint and filler words a misspelling is corrected to before the
// constraints are read ("tomorow" → "tomorrow", "lesons" → "lessons"). Only words of four or
// more letters: shorter ones are too easy to hit by accident.
var keywordTargets = []string{
	"today", "tonight", "tomorrow", "weekend", "weekends",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays",
	"january", "february", "march", "april", "june", "july", "august", "september", "october",
	"november", "december",
	"morning", "mornings", "afternoon", "afternoons", "evening", "evenings", "night", "nights",
	"online", "virtual", "remote", "remotely", "person",
	"beginner", "beginners", "intermediate", "advanced", "adult", "adults", "children", "teens",
	"teenager", "teenagers", "cheap", "affordable", "inexpensive", "budget",
	"minute", "minutes", "hour", "hours", "dollars", "bucks",
	"lesson", "lessons", "classes", "teacher", "teachers", "instructor", "instructors", "tutor",
	"tutors", "please", "looking", "between", "under", "above", "below", "before", "after",
	"least", "maximum", "minimum",
}

// Words for times of day, used also to tell "sat morning" (Saturday) from "sat" (the exam).
var dayPartWords = set("morning", "mornings", "afternoon", "afternoons", "evening", "evenings",
	"night", "nights", "noon", "midday", "midnight", "lunchtime", "lunch")

var weekdayNames = map[string]int{
	"sunday": 0, "sundays": 0, "sun": 0,
	"monday": 1, "mondays": 1, "mon": 1,
	"tuesday": 2, "tuesdays": 2, "tue": 2, "tues": 2,
	"wednesday": 3, "wednesdays": 3, "wed": 3, "weds": 3,
	"thursday": 4, "thursdays": 4, "thu": 4, "thur": 4, "thurs": 4,
	"friday": 5, "fridays": 5, "fri": 5,
	"saturday": 6, "saturdays": 6, "sat": 6,
}

var monthNames = map[string]int{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
	"forty": 40, "fortyfive": 45, "sixty": 60, "ninety": 90,
}

var currencyWords = set("dollars", "dollar", "bucks", "buck", "usd")

var minuteUnits = set("minute", "minutes", "min", "mins", "m")
var hourUnits = set("hour", "hours", "hr", "hrs", "h")

var meridiemWords = map[string]int{"am": 1, "pm": 2, "a": 1, "p": 2}

var onlineWords = set("online", "virtual", "virtually", "remote", "remotely", "zoom", "skype",
	"facetime", "webcam")

var levelWords = map[string]string{
	"beginner": LevelBeginner, "beginners": LevelBeginner, "beginning": LevelBeginner,
	"novice": LevelBeginner, "novices": LevelBeginner, "newbie": LevelBeginner,
	"newbies": LevelBeginner, "starter": LevelBeginner,
	"intermediate": LevelIntermediate,
	"advanced":     LevelAdvanced, "expert": LevelAdvanced, "experts": LevelAdvanced,
	"kids": LevelKids, "kid": LevelKids, "children": LevelKids, "child": LevelKids,
	"childrens": LevelKids, "toddler": LevelKids, "toddlers": LevelKids, "kiddos": LevelKids,
	"teen": LevelTeen, "teens": LevelTeen, "teenager": LevelTeen, "teenagers": LevelTeen,
	"teenage": LevelTeen, "adolescent": LevelTeen, "adolescents": LevelTeen,
	"adult": LevelAdult, "adults": LevelAdult, "grownup": LevelAdult, "grownups": LevelAdult,
}

var cheapWords = set("cheap", "cheaper", "cheapest", "affordable", "budget", "inexpensive",
	"economical", "bargain", "lowcost")

// phrase lists matched token by token, longest first within each list.
type phraseList [][]string

func (l phraseList) longest(s *state, i int) int {
	best := 0
	for _, ph := range l {
		if len(ph) > best && s.seq(i, ph...) {
			best = len(ph)
		}
	}
	return best
}

func phrases(ps ...string) phraseList {
	out := make(phraseList, 0, len(ps))
	for _, p := range ps {
		out = append(out, normalize(p))
	}
	return out
}

var (
	maxPricePrefix = phrases("under", "below", "less than", "less then", "lower than", "cheaper than",
		"max", "maximum", "up to", "no more than", "not more than", "no higher than", "not over",
		"at most", "<", "< =", "budget of", "within", "tops", "no more then")
	minPricePrefix = phrases("over", "above", "at least", "more than", "more then", "higher than",
		"min", "minimum", "no less than", "not less than", ">", "> =", "starting at")
	maxPriceSuffix = phrases("or less", "or under", "or below", "or lower", "or cheaper", "and under",
		"and below", "and less", "max", "maximum", "tops", "at most", "or so")
	minPriceSuffix = phrases("or more", "and up", "and above", "and over", "or above", "or higher",
		"plus", "+", "min", "minimum", "at least")
	perUnit = phrases("per hour", "per hr", "per h", "per lesson", "per session", "per class",
		"/ hour", "/ hr", "/ h", "/ lesson", "/ session", "/ class", "an hour", "a hour", "an hr",
		"a lesson", "a session", "a class", "hourly", "ph", "p / h", "each")
	inPersonPhrases = phrases("in person", "in - person", "inperson", "in home", "in - home",
		"face to face", "face - to - face", "facetoface", "f2f", "irl", "at my home", "at my house",
		"at my place", "at my apartment", "at my apt", "at our home", "at our house",
		"come to me", "comes to me", "coming to me", "come to my home", "come to my house",
		"come to my place", "come to us", "house call", "house calls", "home visit", "home visits",
		"in my home", "in my house", "in our home")
	onlinePhrases = phrases("video call", "video chat", "on - line", "google meet", "over video")
	areaPrefix    = phrases("in", "near", "around", "close to", "by")
)
