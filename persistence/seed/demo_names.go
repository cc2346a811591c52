package seed

// Data for the demo seed: people's names and the places of New York City they teach and live in.
// Only code in demo.go reads it; changing any list changes the generated demo data (the same
// code always generates the same data, on every machine).

// demoBackground is one naming tradition: a person takes a first and a last name from the same
// background, so generated names read like real New Yorkers rather than random pairings.
type demoBackground struct {
	weight int
	first  []string
	last   []string
}

var demoBackgrounds = []demoBackground{
	{weight: 16, // Anglo-American
		first: []string{"James", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Rachel", "Matthew",
			"Lauren", "Ryan", "Megan", "Andrew", "Katherine", "Thomas", "Hannah", "Benjamin", "Olivia",
			"Christopher", "Abigail", "Nathan", "Claire", "Samuel", "Molly"},
		last: []string{"Smith", "Johnson", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thompson",
			"Moore", "Clark", "Walker", "Hall", "Young", "Wright", "Baker", "Carter", "Mitchell", "Turner",
			"Parker", "Collins", "Bennett", "Hughes", "Foster", "Sullivan"}},
	{weight: 8, // Irish and Italian New York
		first: []string{"Sean", "Siobhan", "Patrick", "Maeve", "Giovanni", "Francesca", "Anthony", "Gabriella",
			"Vincent", "Isabella", "Connor", "Bridget", "Marco", "Chiara", "Dominic", "Gianna"},
		last: []string{"O'Brien", "Murphy", "Kelly", "Gallagher", "Fitzgerald", "Russo", "Romano", "Esposito",
			"Bianchi", "Costa", "DeLuca", "Moretti", "Caruso", "Ricci", "Donnelly", "Quinn"}},
	{weight: 16, // Hispanic and Latino
		first: []string{"José", "María", "Luis", "Camila", "Carlos", "Sofía", "Javier", "Valentina", "Diego",
			"Lucía", "Alejandro", "Daniela", "Miguel", "Gabriela", "Rafael", "Ana", "Mateo", "Isabel",
			"Andrés", "Marisol", "Héctor", "Paola"},
		last: []string{"García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
			"Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Reyes", "Cruz", "Morales", "Ortiz",
			"Castillo", "Vargas", "Medina", "Peña"}},
	{weight: 8, // Chinese
		first: []string{"Wei", "Mei", "Jun", "Ling", "Hao", "Xin", "Yan", "Jing", "Kevin", "Grace", "Jason",
			"Amy", "Vivian", "Eric"},
		last: []string{"Chen", "Wang", "Li", "Zhang", "Liu", "Huang", "Zhao", "Wu", "Lin", "Yang", "Zhou", "Xu"}},
	{weight: 4, // Korean
		first: []string{"Ji-woo", "Min-jun", "Seo-yeon", "Hyun-woo", "Soo-ah", "Daniel", "Jenny", "Ha-eun",
			"Joon", "Yuna"},
		last: []string{"Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Han", "Shin"}},
	{weight: 3, // Japanese
		first: []string{"Haruto", "Yui", "Kenji", "Aiko", "Takashi", "Emi", "Ren", "Sakura", "Hiroshi", "Mika"},
		last:  []string{"Tanaka", "Suzuki", "Sato", "Takahashi", "Watanabe", "Yamamoto", "Nakamura", "Kobayashi"}},
	{weight: 9, // South Asian
		first: []string{"Priya", "Arjun", "Ananya", "Rohan", "Aisha", "Vikram", "Neha", "Rahul", "Kavya",
			"Sanjay", "Fatima", "Imran", "Meera", "Nikhil", "Tanvir", "Sabrina"},
		last: []string{"Patel", "Shah", "Sharma", "Gupta", "Singh", "Iyer", "Reddy", "Chowdhury", "Khan",
			"Rahman", "Desai", "Mehta", "Kapoor", "Hossain"}},
	{weight: 12, // African American
		first: []string{"Jamal", "Aaliyah", "Malik", "Imani", "Darnell", "Keisha", "Andre", "Jasmine",
			"Terrence", "Nia", "Marcus", "Tiana", "Jordan", "Alicia", "Isaiah", "Brianna"},
		last: []string{"Washington", "Jackson", "Robinson", "Harris", "Williams", "Brown", "Jones", "Coleman",
			"Brooks", "Jenkins", "Simmons", "Banks", "Freeman", "Dixon"}},
	{weight: 7, // West African and Caribbean
		first: []string{"Kwame", "Ama", "Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Kofi", "Abena",
			"Jean-Baptiste", "Fabienne", "Marlon", "Shanice", "Tunde", "Kezia"},
		last: []string{"Okafor", "Adeyemi", "Mensah", "Boateng", "Nwosu", "Diallo", "Pierre", "Baptiste",
			"Joseph", "Campbell", "Charles", "Osei"}},
	{weight: 7, // Eastern European and Jewish
		first: []string{"Dmitri", "Natalia", "Sergei", "Olga", "Alexei", "Irina", "Yuri", "Katya", "Aaron",
			"Miriam", "Noah", "Leah", "Eli", "Rebecca", "Jakub", "Zofia"},
		last: []string{"Cohen", "Levy", "Friedman", "Goldberg", "Katz", "Shapiro", "Novak", "Horvat",
			"Kovalenko", "Shevchenko", "Bondarenko", "Popescu", "Rosen", "Weiss"}},
	{weight: 4, // Middle Eastern and North African
		first: []string{"Omar", "Layla", "Yusuf", "Nour", "Karim", "Yasmin", "Ali", "Rania", "Samir", "Dalia"},
		last:  []string{"Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "Hassan", "Aziz", "Farah"}},
	{weight: 3, // Greek
		first: []string{"Nikos", "Eleni", "Giorgos", "Katerina", "Dimitris", "Sofia", "Yannis", "Despina"},
		last:  []string{"Papadopoulos", "Georgiou", "Nikolaidis", "Konstantinou", "Pappas", "Andreou"}},
	{weight: 3, // Filipino and Vietnamese
		first: []string{"Linh", "Minh", "Thao", "Bao", "Angelica", "Paolo", "Joy", "Mark", "Trang", "Carlo"},
		last:  []string{"Nguyen", "Tran", "Pham", "Le", "Santos", "Bautista", "Dela Cruz", "Mendoza"}},
}

// demoBorough is a borough with the neighbourhoods demo people live and teach in. Weights follow
// roughly where lessons happen in the city.
type demoBorough struct {
	name   string
	weight int
	areas  []string
	public []string // public places for lessons at a "neutral" location
}

var demoBoroughs = []demoBorough{
	{name: "Manhattan", weight: 45,
		areas: []string{"Upper West Side", "Upper East Side", "Harlem", "East Harlem", "Morningside Heights",
			"Washington Heights", "Inwood", "Midtown", "Hell's Kitchen", "Murray Hill", "Gramercy",
			"Chelsea", "Flatiron", "Greenwich Village", "West Village", "East Village", "SoHo", "Tribeca",
			"Lower East Side", "Chinatown", "Financial District", "Battery Park City", "Kips Bay"},
		public: []string{"Central Park, Sheep Meadow", "Bryant Park", "Washington Square Park",
			"New York Public Library, Stephen A. Schwarzman Building", "Riverside Park at 96th Street",
			"Hudson River Park, Pier 45"}},
	{name: "Brooklyn", weight: 30,
		areas: []string{"Park Slope", "Williamsburg", "Greenpoint", "DUMBO", "Brooklyn Heights", "Cobble Hill",
			"Carroll Gardens", "Fort Greene", "Clinton Hill", "Prospect Heights", "Crown Heights", "Bushwick",
			"Bed-Stuy", "Bay Ridge", "Sunset Park", "Ditmas Park", "Flatbush", "Red Hook", "Boerum Hill"},
		public: []string{"Prospect Park, Long Meadow", "Brooklyn Public Library, Central Library",
			"McCarren Park", "Brooklyn Bridge Park, Pier 1", "Fort Greene Park"}},
	{name: "Queens", weight: 17,
		areas: []string{"Astoria", "Long Island City", "Sunnyside", "Woodside", "Jackson Heights", "Elmhurst",
			"Forest Hills", "Rego Park", "Flushing", "Bayside", "Ridgewood", "Kew Gardens"},
		public: []string{"Astoria Park", "Queens Public Library, Flushing", "Flushing Meadows Corona Park",
			"Gantry Plaza State Park", "Forest Park"}},
	{name: "Bronx", weight: 5,
		areas:  []string{"Riverdale", "Fordham", "Mott Haven", "Pelham Bay", "Kingsbridge", "Belmont"},
		public: []string{"Van Cortlandt Park", "Bronx Library Center", "Pelham Bay Park"}},
	{name: "Staten Island", weight: 3,
		areas:  []string{"St. George", "Tottenville", "Great Kills", "Westerleigh"},
		public: []string{"Snug Harbor Cultural Center", "Clove Lakes Park"}},
}

// demoRemoteZones are the zones of the few instructors who live outside New York and teach online.
var demoRemoteZones = []struct{ zone, city string }{
	{"America/Chicago", "Chicago"},
	{"America/Los_Angeles", "Los Angeles"},
	{"America/Chicago", "Chicago"},
	{"America/Los_Angeles", "Los Angeles"},
}

// demoRemoteIndexes are the (1-based) generated instructors who live in demoRemoteZones.
var demoRemoteIndexes = []int{23, 77, 131, 176}
