"""Names of varied origins for synthetic patients, as a US small practice sees them.

Each origin has family names and given names by sex; accents, apostrophes, hyphens and
particles are kept as people write them (O'Brien, Müller, Nguyễn, García-López, van der Berg).
The weight is the origin's rough share of the practice's patients.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    name: str
    weight: int
    family: tuple[str, ...]
    female: tuple[str, ...]
    male: tuple[str, ...]
    language: str = "English"


# fmt: off
ORIGINS: tuple[Origin, ...] = (
    Origin(
        "english",
        30,
        (
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White",
            "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
            "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter",
            "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
            "Edwards", "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook", "Morgan",
            "Bell", "Cooper", "Richardson", "Cox", "Howard", "Ward", "Peterson", "Gray",
            "James", "Watson", "Brooks", "Kelly", "Sanders", "Price", "Bennett", "Wood",
            "Barnes", "Ross", "Henderson", "Coleman", "Jenkins", "Perry", "Powell", "Long",
            "Patterson", "Hughes", "Washington", "Butler", "Simmons", "Foster", "Bryant",
            "Alexander", "Russell", "Griffin", "Hayes", "Myers", "Ford", "Hamilton", "Graham",
            "Sullivan", "Wallace", "Woods", "Cole", "West", "Jordan", "Owens", "Reynolds",
            "Fisher", "Ellis", "Harrison", "Gibson", "McDonald", "Marshall", "Smith-Jones",
        ),
        (
            "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
            "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley",
            "Kimberly", "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah",
            "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Amy", "Kathleen", "Angela",
            "Shirley", "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha", "Katherine",
            "Christine", "Helen", "Debra", "Rachel", "Carolyn", "Janet", "Maria", "Olivia",
            "Heather", "Diane", "Julie", "Joyce", "Victoria", "Ruth", "Virginia", "Lauren",
            "Kelly", "Christina", "Joan", "Evelyn", "Judith", "Andrea", "Hannah", "Megan",
            "Cheryl", "Jacqueline", "Martha", "Madison", "Teresa", "Gloria", "Sara", "Janice",
            "Ann", "Kathryn", "Abigail", "Sophia", "Frances", "Jean", "Alice", "Judy", "Isabella",
            "Julia", "Grace", "Amber", "Denise", "Danielle", "Marilyn", "Beverly", "Charlotte",
            "Natalie", "Theresa", "Diana", "Brittany", "Doris", "Kayla", "Alexis", "Lori",
            "Mary Ann", "Joanne",
        ),
        (
            "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph",
            "Thomas", "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark",
            "Donald", "Steven", "Andrew", "Paul", "Joshua", "Kenneth", "Kevin", "Brian",
            "George", "Timothy", "Ronald", "Jason", "Edward", "Jeffrey", "Ryan", "Jacob",
            "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott",
            "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank",
            "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron", "Jose", "Adam", "Nathan",
            "Henry", "Zachary", "Douglas", "Peter", "Kyle", "Noah", "Ethan", "Jeremy",
            "Walter", "Christian", "Keith", "Roger", "Terry", "Austin", "Sean", "Gerald",
            "Carl", "Harold", "Dylan", "Arthur", "Lawrence", "Jordan", "Jesse", "Bryan",
            "Billy", "Bruce", "Gabriel", "Joe", "Logan", "Alan", "Juan", "Albert", "Willie",
            "Elijah", "Wayne", "Randy", "Vincent", "Mason", "Roy", "Ralph", "Bobby", "Russell",
            "Bradley", "Philip", "Eugene", "John Paul",
        ),
    ),
    Origin(
        "irish",
        6,
        (
            "O'Brien", "O'Connor", "O'Neill", "O'Sullivan", "O'Reilly", "McCarthy", "Murphy",
            "Kelly", "Byrne", "Ryan", "Walsh", "O'Donnell", "Doyle", "Kennedy", "Lynch",
            "Quinn", "Gallagher", "Ó Súilleabháin", "Mac Giolla", "D'Arcy", "Fitzgerald",
            "Brennan", "Keane", "Nolan", "Dunne", "McLoughlin",
        ),
        (
            "Siobhán", "Aoife", "Niamh", "Caoimhe", "Saoirse", "Máire", "Róisín", "Orla",
            "Clodagh", "Sinéad", "Bríd", "Eimear", "Mary", "Bridget", "Kathleen", "Áine",
        ),
        (
            "Seán", "Pádraig", "Liam", "Conor", "Ciarán", "Eoin", "Cillian", "Darragh",
            "Oisín", "Declan", "Colm", "Éamon", "Michael", "Patrick", "Brendan", "Tadhg",
        ),
    ),
    Origin(
        "hispanic",
        19,
        (
            "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
            "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz",
            "Morales", "Reyes", "Gutiérrez", "Ortiz", "Chávez", "Ramos", "Ruiz", "Mendoza",
            "Álvarez", "Castillo", "Jiménez", "Vásquez", "Moreno", "Romero", "Herrera",
            "Medina", "Aguilar", "Vargas", "Guzmán", "Muñoz", "Castro", "Ibáñez", "Núñez",
            "García-López", "De la Cruz", "Peña", "Fernández", "Rojas", "Salazar", "Ortega",
        ),
        (
            "María", "Sofía", "Valentina", "Camila", "Lucía", "Isabel", "Ana", "Carmen",
            "Guadalupe", "Rosa", "Gabriela", "Daniela", "Verónica", "Mónica", "Adriana",
            "Alejandra", "Ximena", "Paola", "Natalia", "Elena", "Beatriz", "Inés", "Raquel",
            "Yolanda", "Lourdes", "María José", "Ángela", "Marisol", "Luz", "Esperanza",
        ),
        (
            "José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Jorge", "Alejandro",
            "Francisco", "Antonio", "Manuel", "Pedro", "Ricardo", "Fernando", "Javier",
            "Andrés", "Raúl", "Sergio", "Óscar", "Héctor", "Mateo", "Santiago", "Diego",
            "Rubén", "Ramón", "Joaquín", "Tomás", "Julián", "Iván", "Juan Carlos",
        ),
        "Spanish",
    ),
    Origin(
        "german",
        5,
        (
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
            "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein",
            "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger",
            "Hofmann", "Hartmann", "Lange", "Weiß", "Strauß", "Köhler", "Jäger", "Groß",
            "von Bülow", "Fuchs", "Vogel", "Günther",
        ),
        (
            "Anna", "Jürgen", "Ursula", "Gisela", "Sabine", "Petra", "Renate", "Monika",
            "Brigitte", "Käthe", "Lena", "Hannah", "Lea", "Greta", "Anneliese", "Ingrid",
            "Jutta", "Heike", "Frieda", "Liesl",
        ),
        (
            "Hans", "Klaus", "Jürgen", "Dieter", "Wolfgang", "Günter", "Uwe", "Stefan",
            "Matthias", "Lukas", "Felix", "Maximilian", "Jörg", "Björn", "Horst", "Helmut",
            "Karl-Heinz", "Fritz", "Ernst", "Otto",
        ),
        "German",
    ),
    Origin(
        "vietnamese",
        4,
        (
            "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
        ),
        (
            "Thị Hương", "Lan", "Linh", "Mai", "Ngọc", "Thảo", "Hạnh", "Trang", "Phương",
            "Thủy", "Hà", "Anh", "Hoa", "Hằng", "My", "Vy",
        ),
        (
            "Văn Minh", "Minh", "Tuấn", "Hùng", "Dũng", "Đức", "Quang", "Hải", "Long",
            "Nam", "Thắng", "Khoa", "Phúc", "Bảo", "Huy", "Tâm",
        ),
        "Vietnamese",
    ),
    Origin(
        "chinese",
        5,
        (
            "Chen", "Wang", "Li", "Zhang", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou",
            "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "Lin", "He", "Gao", "Luo", "Wong",
            "Chan", "Leung", "Lau", "Cheung", "Ng",
        ),
        (
            "Mei", "Xiu Ying", "Li Na", "Jing", "Hui", "Yan", "Xiaoling", "Fang", "Ying",
            "Lan", "Wei", "Min", "Yuki", "Jia", "Qian", "Ling",
        ),
        (
            "Wei", "Jun", "Hao", "Lei", "Yong", "Jie", "Tao", "Ming", "Chao", "Bo",
            "Jian", "Qiang", "Zhi Wei", "Kai", "Feng", "Bin",
        ),
        "Mandarin",
    ),
    Origin(
        "indian",
        5,
        (
            "Patel", "Shah", "Singh", "Kumar", "Sharma", "Gupta", "Reddy", "Rao", "Iyer",
            "Nair", "Desai", "Mehta", "Joshi", "Banerjee", "Chatterjee", "Mukherjee",
            "Pillai", "Agarwal", "Bhatt", "Choudhury", "Kapoor", "Malhotra",
        ),
        (
            "Priya", "Ananya", "Divya", "Kavya", "Lakshmi", "Meera", "Neha", "Pooja", "Riya",
            "Sita", "Sunita", "Aarti", "Deepa", "Anjali", "Shreya", "Isha",
        ),
        (
            "Raj", "Amit", "Arjun", "Rahul", "Vikram", "Sanjay", "Rohan", "Anil", "Suresh",
            "Ravi", "Aditya", "Krishna", "Vijay", "Deepak", "Nikhil", "Aarav",
        ),
        "Hindi",
    ),
    Origin(
        "polish",
        3,
        (
            "Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński",
            "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski",
            "Jankowski", "Mazur", "Krawczyk", "Łukasiewicz", "Michalski", "Król",
        ),
        (
            "Agnieszka", "Małgorzata", "Katarzyna", "Joanna", "Magdalena", "Zofia",
            "Krystyna", "Barbara", "Ewa", "Halina", "Jadwiga", "Bożena",
        ),
        (
            "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Marcin",
            "Łukasz", "Grzegorz", "Wojciech", "Jakub", "Stanisław",
        ),
        "Polish",
    ),
    Origin(
        "french",
        3,
        (
            "Dubois", "Martin", "Bernard", "Durand", "Lefèvre", "Moreau", "Laurent",
            "Fournier", "Girard", "Rousseau", "Bonnet", "Mercier", "Lefebvre", "Bélanger",
            "Côté", "Gagnon", "Bouchard", "Tremblay", "D'Amour", "Leblanc", "Lévesque",
            "Pelletier",
        ),
        (
            "Chloé", "Élodie", "Céline", "Amélie", "Hélène", "Geneviève", "Margaux",
            "Léa", "Camille", "Noémie", "Anaïs", "Françoise", "Marie-Claire", "Josée",
        ),
        (
            "Jean", "Pierre", "Jérôme", "François", "Étienne", "Benoît", "Théo", "Louis",
            "Hugo", "Luc", "René", "Gaël", "Jean-Luc", "Jean-Pierre",
        ),
        "French",
    ),
    Origin(
        "arabic",
        3,
        (
            "Haddad", "Khalil", "Hassan", "Ibrahim", "Mansour", "Nasser", "Saleh",
            "Al-Sayed", "Abdullah", "Aziz", "Farah", "Hamdan", "El-Amin", "Karam",
            "Boutros", "Darwish",
        ),
        (
            "Fatima", "Aisha", "Layla", "Mariam", "Nour", "Yasmin", "Zainab", "Rania",
            "Huda", "Salma", "Leila", "Amira",
        ),
        (
            "Mohammed", "Ahmed", "Omar", "Ali", "Youssef", "Khaled", "Hassan", "Karim",
            "Tariq", "Samir", "Ibrahim", "Rami",
        ),
        "Arabic",
    ),
    Origin(
        "nigerian",
        3,
        (
            "Okafor", "Okonkwo", "Adeyemi", "Oluwaseun", "Eze", "Nwosu", "Balogun",
            "Adebayo", "Obi", "Ogunleye", "Chukwu", "Afolabi", "Onyeka", "Ibekwe",
        ),
        (
            "Chiamaka", "Ngozi", "Adaeze", "Funmilayo", "Oluwadamilare", "Ifeoma",
            "Yetunde", "Chinwe", "Amaka", "Folake", "Nneka", "Abimbola",
        ),
        (
            "Chinedu", "Emeka", "Oluwaseun", "Tunde", "Ikechukwu", "Chukwuemeka",
            "Babatunde", "Obinna", "Kelechi", "Segun", "Adewale", "Uchenna",
        ),
    ),
    Origin(
        "korean",
        2,
        (
            "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim",
            "Han", "Shin",
        ),
        (
            "Ji-woo", "Seo-yeon", "Min-ji", "Soo-jin", "Hye-jin", "Eun-ji", "Ha-eun",
            "Yuna", "Ji-hye", "Da-eun",
        ),
        (
            "Min-jun", "Seo-jun", "Ji-ho", "Hyun-woo", "Dong-hyun", "Jae-won", "Sung-min",
            "Joon-young", "Tae-yang", "Woo-jin",
        ),
        "Korean",
    ),
    Origin(
        "scandinavian",
        2,
        (
            "Jørgensen", "Sørensen", "Ødegård", "Nielsen", "Hansen", "Larsen", "Åberg",
            "Lindqvist", "Bjørnstad", "Johansson", "Ærø", "Strøm", "Halvorsen",
        ),
        (
            "Ingrid", "Astrid", "Sigrid", "Solveig", "Freja", "Maja", "Åsa", "Bodil",
            "Kirsten", "Liv",
        ),
        (
            "Lars", "Søren", "Bjørn", "Anders", "Erik", "Magnus", "Håkon", "Nils", "Ole",
            "Torbjørn",
        ),
    ),
    Origin(
        "dutch",
        2,
        (
            "van der Berg", "de Jong", "Jansen", "de Vries", "van den Bosch", "Bakker",
            "Visser", "Smit", "van Dijk", "de Boer", "Mulder", "Vermeulen",
        ),
        ("Sanne", "Femke", "Lotte", "Anouk", "Ilse", "Marieke", "Fleur", "Noor"),
        ("Daan", "Sem", "Bram", "Joris", "Pieter", "Thijs", "Ruud", "Jeroen"),
    ),
    Origin(
        "italian",
        3,
        (
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
            "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "D'Angelo",
            "Mancini", "Lombardi", "Barbieri", "Fontana", "Santoro", "Caruso", "Niccolò",
        ),
        (
            "Giulia", "Francesca", "Chiara", "Sara", "Martina", "Alessandra", "Federica",
            "Elisa", "Valentina", "Lucia", "Paola", "Rosaria",
        ),
        (
            "Giuseppe", "Giovanni", "Antonio", "Marco", "Luca", "Francesco", "Alessandro",
            "Matteo", "Lorenzo", "Andrea", "Salvatore", "Niccolò",
        ),
        "Italian",
    ),
    Origin(
        "greek_turkish",
        2,
        (
            "Papadopoulos", "Georgiou", "Nikolaidis", "Konstantinidis", "Dimitriou",
            "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın",
        ),
        ("Eleni", "Maria", "Katerina", "Sofia", "Ayşe", "Elif", "Zeynep", "Özlem"),
        ("Giorgos", "Nikos", "Dimitris", "Kostas", "Mehmet", "Mustafa", "Emre", "Çağlar"),
    ),
)

STREETS = (
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Ave",
    "Lake Rd", "Hillcrest Dr", "Park Ave", "Sunset Blvd", "River Rd", "Church St",
    "Highland Ave", "Meadow Ln", "Forest Dr", "Jefferson St", "Lincoln Ave", "Spring St",
    "Willow Way", "Chestnut St", "Franklin Rd", "Mill Rd", "Prospect Ave", "Ridge Rd",
    "Orchard Ln", "Birch Ct", "Cherry St", "Walnut St", "Valley View Dr",
)

# (city, state, first three digits of the ZIP code, telephone area codes)
CITIES = (
    ("Springfield", "IL", "627", ("217",)),
    ("Columbus", "OH", "432", ("614", "380")),
    ("Madison", "WI", "537", ("608",)),
    ("Fairview", "OR", "970", ("503", "971")),
    ("Riverside", "CA", "925", ("951",)),
    ("Franklin", "TN", "370", ("615", "629")),
    ("Greenville", "SC", "296", ("864",)),
    ("Bristol", "CT", "060", ("860", "959")),
    ("Clinton", "MA", "015", ("978", "351")),
    ("Georgetown", "TX", "786", ("512", "737")),
    ("Salem", "NH", "030", ("603",)),
    ("Arlington", "VA", "222", ("703", "571")),
    ("Burlington", "VT", "054", ("802",)),
    ("Aurora", "CO", "800", ("303", "720")),
)

PAYERS = (
    ("Medicare", "MCR"),
    ("Medicaid", "MCD"),
    ("Blue Cross Blue Shield", "BCB"),
    ("Aetna", "AET"),
    ("UnitedHealthcare", "UHC"),
    ("Cigna", "CIG"),
    ("Humana", "HUM"),
    ("Kaiser Permanente", "KPR"),
    ("Self-pay", ""),
)

# fmt: on

RELATIONSHIPS = ("spouse", "parent", "child", "sibling", "partner", "friend")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
