package seed

// Texts and market figures for the demo seed: bio fragments, notes, cancellation reasons, how
// popular each service is and what lessons cost. Only demo.go reads them.

// demoCategoryWeights is how likely an instructor's main category is (by category slug).
var demoCategoryWeights = map[string]int{
	"music": 22, "languages": 16, "tutoring-test-prep": 22, "sports-fitness": 14,
	"arts-crafts": 9, "technology-coding": 11, "lifestyle-wellness": 6,
}

// demoServiceWeights makes popular services common among offers (by catalog slug); every other
// service weighs 1, so the long tail of the catalog still appears here and there.
var demoServiceWeights = map[string]int{
	"piano": 14, "guitar": 11, "voice": 8, "violin": 5, "drums": 4, "cello": 2, "ukulele": 2,
	"music-theory": 3, "music-production": 2, "saxophone": 2, "bass-guitar": 2,
	"spanish": 14, "french": 8, "mandarin-chinese": 5, "italian": 4, "japanese": 4, "esl": 5,
	"german": 3, "korean": 3, "arabic": 2, "portuguese": 2, "american-sign-language": 2,
	"math": 12, "sat-prep": 12, "algebra": 5, "calculus": 5, "geometry": 3, "chemistry": 4,
	"physics": 4, "biology": 3, "essay-writing": 4, "act-prep": 5, "shsat-prep": 4, "gre-prep": 3,
	"lsat-prep": 2, "reading": 3, "statistics": 2, "elementary-math": 3, "isee-ssat-prep": 3,
	"yoga": 12, "personal-training": 9, "pilates": 6, "boxing": 5, "tennis": 5, "swimming": 4,
	"running-coaching": 3, "ballet": 3, "salsa-dancing": 3, "brazilian-jiu-jitsu": 2, "golf": 2,
	"drawing": 6, "watercolor": 4, "photography": 5, "oil-painting": 3, "pottery": 3,
	"acrylic-painting": 2, "knitting": 2, "acting": 3, "graphic-design": 2,
	"python": 12, "web-development": 5, "javascript": 5, "data-science": 4, "excel": 3,
	"coding-interview-prep": 3, "scratch-coding": 2, "sql": 2, "ux-ui-design": 2,
	"cooking": 5, "meditation": 4, "chess": 4, "life-coaching": 3, "public-speaking": 3,
	"baking": 2, "career-coaching": 2, "nutrition-coaching": 2,
}

// demoRateRange is the plausible hourly rate in dollars for a service, by kind.
func demoRateRange(slug, category string) (lo, hi int) {
	if len(slug) > 5 && slug[len(slug)-5:] == "-prep" {
		return 80, 200
	}
	switch category {
	case "music":
		return 50, 120
	case "languages":
		return 40, 90
	case "tutoring-test-prep":
		return 45, 110
	case "sports-fitness":
		return 50, 150
	case "arts-crafts":
		return 45, 110
	case "technology-coding":
		return 60, 160
	}
	return 40, 120
}

// demoRoles is how an instructor of a category introduces themselves ("I'm a ... based in ...").
var demoRoles = map[string][]string{
	"music":              {"musician and music teacher", "performing musician", "conservatory-trained teacher"},
	"languages":          {"language teacher", "native-speaker tutor", "certified language instructor"},
	"tutoring-test-prep": {"tutor", "former classroom teacher", "test prep coach"},
	"sports-fitness":     {"certified coach", "trainer and coach", "former competitive athlete"},
	"arts-crafts":        {"working artist and teacher", "studio artist", "designer and teacher"},
	"technology-coding":  {"software engineer and instructor", "senior developer", "tech educator"},
	"lifestyle-wellness": {"coach and instructor", "certified coach", "professional instructor"},
}

// demoOpenings start a bio. Placeholders: {role} {years} {area} {services} {first}.
var demoOpenings = []string{
	"I'm a {role} based in {area} with {years} of experience teaching {services}.",
	"I have been teaching {services} for {years}, most of it right here in {area}.",
	"With {years} of teaching behind me, I help students of every age and level with {services}.",
	"Hi, I'm {first}: a {role} who has taught {services} for {years}.",
	"{services}: that's what I have taught for {years}, as a {role} in {area}.",
}

// demoCategorySentences say something specific to the category of the instructor's services.
var demoCategorySentences = map[string][]string{
	"music": {
		"My lessons balance technique, reading and repertoire, so you play music you enjoy from the first weeks.",
		"I have played in jazz clubs, pit orchestras and wedding bands around the city, and I bring that stage experience to every lesson.",
		"Students prepare for recitals, school auditions and conservatory applications, or simply play for the joy of it.",
		"I still perform regularly with local ensembles, and I love helping students find their own sound.",
		"We work on what you want to play, from classical pieces to pop songs, while building solid fundamentals.",
	},
	"languages": {
		"Lessons are conversation-first: we build grammar and vocabulary around the situations you actually care about.",
		"I grew up bilingual and have taught adults, teenagers and heritage speakers who want to reconnect with their family's language.",
		"Whether you are preparing for travel, a move, an exam or a new job, we set clear goals and track your progress every month.",
		"I use real material (news, songs, films and menus) so you hear the language the way people speak it.",
	},
	"tutoring-test-prep": {
		"I focus on understanding, not memorising: once a concept clicks, the homework and the tests follow.",
		"My test prep students raise their scores with a clear plan, timed practice sections and honest feedback after every session.",
		"I taught in New York City public schools before tutoring full time, so I know the curriculum and what teachers expect.",
		"We start with a diagnostic, find the gaps, and work through them one by one at a pace that suits you.",
	},
	"sports-fitness": {
		"Every session starts from where your body is today, with safe technique first and intensity second.",
		"I coach beginners who have never trained before as well as athletes getting ready for competition.",
		"We set measurable goals together and adjust the plan every few weeks as you get stronger.",
		"Sessions happen in parks, gyms and studios around the neighbourhood, whatever suits you best.",
	},
	"arts-crafts": {
		"I show my work in group exhibitions around the city and love sharing the techniques behind it.",
		"Lessons mix demonstration and hands-on practice, so you leave every session with something you made.",
		"No talent required: I break every project into simple steps and we build your confidence from there.",
		"We can work toward a portfolio, a gift or simply a relaxing creative hour each week.",
	},
	"technology-coding": {
		"I work as an engineer in the city and teach from real projects, not just textbook exercises.",
		"We build something useful from the first lesson and learn the concepts as we need them.",
		"I have helped career changers land their first tech job and students ace their computer science classes.",
		"Lessons come with code reviews, small assignments and a clear roadmap of what to learn next.",
	},
	"lifestyle-wellness": {
		"My sessions are practical: you leave with skills and habits you can use the same day.",
		"I have coached hundreds of people, from busy professionals to retirees picking up a new passion.",
		"We go at your pace, and I adapt every session to your goals, your schedule and your energy.",
		"I believe learning should be fun, so expect a relaxed atmosphere and plenty of practice.",
	},
}

// demoApproaches describe how the instructor teaches, whatever the subject.
var demoApproaches = []string{
	"Lessons are patient, structured and built around your goals.",
	"I keep lessons relaxed but focused, and every student leaves with something concrete to practise.",
	"I adapt each lesson to how you learn best and send a short summary with practice notes afterwards.",
	"I love working with beginners, and I also coach advanced students who want to polish the details.",
	"Kids, teens and adults are all welcome; many of my students have been with me for years.",
}

// demoLevels complete an offer's description ("Piano lessons for ...").
var demoLevels = []string{
	"beginners and intermediate students", "all ages and levels", "adults and teens",
	"kids and complete beginners", "intermediate and advanced students", "adult beginners",
}

// demoNotes are what students write when they book, by category (and for any category).
var demoNotes = map[string][]string{
	"music": {
		"Complete beginner, I just got my first instrument.",
		"I'd like to work on the piece for my spring recital.",
		"Getting ready for a school audition next month.",
	},
	"languages": {
		"I'm travelling next month and want to practise conversation.",
		"Heritage speaker: I understand a lot but struggle to speak.",
		"Preparing for a job interview in the language.",
	},
	"tutoring-test-prep": {
		"The exam is in three weeks; I'd like a study plan.",
		"My son needs help with homework and upcoming exams.",
		"Could we go over my last assignment together?",
	},
	"sports-fitness": {
		"Coming back from a knee injury, please go easy at first.",
		"Beginner, never done this before.",
		"I'd like to build a routine I can keep up.",
	},
	"arts-crafts": {
		"I'll bring my own supplies.",
		"Would love to start a small portfolio.",
	},
	"technology-coding": {
		"I'm stuck on a project for my bootcamp.",
		"Preparing for technical interviews.",
		"Total beginner, please start from the basics.",
	},
	"lifestyle-wellness": {
		"This is a birthday present for my partner.",
		"Looking for something relaxing after work.",
	},
	"": {
		"Looking forward to it!",
		"I might be five minutes late coming from work.",
		"First lesson with you, excited to start.",
		"Could we focus on the basics this time?",
	},
}

// demoHomeNotes are notes that only make sense for a lesson at the student's home.
var demoHomeNotes = []string{
	"Please ring the buzzer for apartment 4B.",
	"The doorman will send you up, I'm on the 12th floor.",
	"Street parking is easiest on the side street.",
}

// demoTheAreas are neighbourhood names English puts "the" before ("on the Upper West Side").
var demoTheAreas = map[string]bool{
	"Upper West Side": true, "Upper East Side": true, "East Village": true, "West Village": true,
	"Lower East Side": true, "Financial District": true,
}

// demoStudentReasons and demoInstructorReasons are why a booking was cancelled.
var demoStudentReasons = []string{
	"Something came up at work.",
	"I'm feeling sick today.",
	"Family emergency, sorry for the short notice.",
	"Travelling that week.",
	"Exam schedule changed, I need to reschedule.",
	"My child has a school event.",
}

var demoInstructorReasons = []string{
	"I have a performance that evening.",
	"I'm unwell and cannot teach today.",
	"Transit is down on my line, sorry.",
	"Double-booked with a workshop, apologies.",
}
