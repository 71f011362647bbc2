"""The fixed name lists the sample district draws people and schools from.

The lists are deliberately diverse (a big-city district) and include the spellings that
trip up importers: accents, apostrophes, hyphens and multi-word family names.
"""

from __future__ import annotations

import unicodedata
from functools import cache

__all__ = [
    "FAMILY_NAMES",
    "FEMALE_NAMES",
    "HONOREES",
    "MALE_NAMES",
    "UNISEX_NAMES",
    "ascii_fold",
    "school_name",
]

FEMALE_NAMES: tuple[str, ...] = (
    "Sofía", "María", "Valentina", "Camila", "Isabella", "Ximena", "Guadalupe", "Daniela",
    "Mariana", "Gabriela", "Alejandra", "Fernanda", "Lucía", "Paola", "Yesenia", "Marisol",
    "Esperanza", "Génesis", "Luz", "Carmen", "Rosa", "Elena", "Ana", "Inés",
    "Aaliyah", "Imani", "Nia", "Destiny", "Jasmine", "Kiara", "Aniyah", "Zuri",
    "Amara", "Makayla", "Brianna", "Ebony", "Tanisha", "Keisha", "Aisha", "Janelle",
    "Olivia", "Emma", "Ava", "Mia", "Charlotte", "Amelia", "Harper", "Evelyn",
    "Abigail", "Emily", "Hannah", "Grace", "Natalie", "Claire", "Maeve", "Siobhan",
    "Zoë", "Renée", "Chloé", "Ashley", "Jennifer", "Samantha", "Madison", "Kateryna",
    "Zofia", "Agnieszka", "Natalia", "Julia", "Maja", "Oliwia", "Hana", "Mei",
    "Xinyi", "Yuna", "Seo-yeon", "Ji-woo", "Linh", "Thảo", "Anh", "Priya",
    "Ananya", "Diya", "Fatima", "Mariam", "Layla", "Noor", "Yasmin", "Amina",
    "Chiamaka", "Adaeze", "Ngozi", "Hiwot", "Selam", "Leilani", "Kalani", "Aiyana",
)

MALE_NAMES: tuple[str, ...] = (
    "Mateo", "Santiago", "Sebastián", "José", "Juan", "Luis", "Carlos", "Miguel",
    "Ángel", "Diego", "Jesús", "Alejandro", "Emiliano", "Leonardo", "Adrián", "Julián",
    "Iker", "Rafael", "Gabriel", "Jayden", "Jaylen", "Malik", "Darnell", "DeShawn",
    "Jamal", "Tyrone", "Marcus", "Andre", "Terrence", "Xavier", "Elijah", "Isaiah",
    "Josiah", "Jeremiah", "Cameron", "Kendrick", "Devontae", "Liam", "Noah", "Ethan",
    "Mason", "Logan", "Lucas", "Jack", "Henry", "Owen", "Wyatt", "Connor",
    "Patrick", "Seán", "Declan", "Kacper", "Jakub", "Szymon", "Mikołaj", "Wojciech",
    "Piotr", "Oleksandr", "Dmytro", "Wei", "Jun", "Hao", "Minh", "Đức",
    "Bao", "Min-jun", "Seo-jun", "Hiroshi", "Kenji", "Arjun", "Rohan", "Aarav",
    "Vihaan", "Omar", "Yusuf", "Ahmed", "Mohammed", "Hassan", "Ibrahim", "Tariq",
    "Chukwuemeka", "Oluwaseun", "Kwame", "Kofi", "Dawit", "Daniel", "David", "Michael",
    "Christopher", "Anthony", "Joshua", "Matthew", "Andrew", "Nathaniel", "Benjamin", "Samuel",
)

UNISEX_NAMES: tuple[str, ...] = (
    "Taylor", "Morgan", "Riley", "Avery", "Jordan", "Alex", "Casey", "Jamie",
    "Quinn", "Rowan", "Sage", "Skyler", "Dakota", "Emerson", "River", "Kai",
)

FAMILY_NAMES: tuple[str, ...] = (
    "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez",
    "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Morales",
    "Reyes", "Gutierrez", "Ortiz", "Ramos", "Castillo", "Jiménez", "Ruiz", "Álvarez",
    "Mendoza", "Vásquez", "Castro", "Romero", "Herrera", "Medina", "Aguilar", "Vargas",
    "Guzmán", "Salazar", "Muñoz", "Peña", "Núñez", "Ibarra", "Delgado", "Estrada",
    "Contreras", "Maldonado", "Zamora", "De La Cruz", "García-López", "Del Río",
    "Johnson", "Williams", "Brown", "Jones", "Davis", "Jackson", "Washington", "Jefferson",
    "Harris", "Robinson", "Walker", "Wright", "Thomas", "Moore", "Taylor", "White",
    "Thompson", "Anderson", "Coleman", "Bell", "Brooks", "Sanders", "Hayes", "Freeman",
    "Banks", "Mitchell", "Wallace", "Carter", "Greene", "Booker", "Smith", "Miller",
    "Wilson", "Murphy", "O'Brien", "O'Connor", "Sullivan", "Kelly", "McCarthy", "Ryan",
    "Walsh", "Doyle", "Schmidt", "Müller", "Schneider", "Fischer", "Wagner", "Becker",
    "Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
    "Zieliński", "Szymański", "Kozłowski", "Novak", "Horvat", "Petrov", "Ivanov",
    "Shevchenko", "Kovalenko", "Bondarenko", "Russo", "Romano", "Esposito", "Ricci", "Marino",
    "Costa", "Greco", "Papadopoulos", "Nikolaidis", "Nguyen", "Tran", "Le", "Pham",
    "Hoang", "Phan", "Vu", "Dang", "Bui", "Do", "Kim", "Lee",
    "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Wang", "Li",
    "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
    "Lin", "Patel", "Shah", "Singh", "Kumar", "Sharma", "Gupta", "Reddy",
    "Desai", "Iyer", "Khan", "Ahmed", "Hussain", "Ali", "Rahman", "Haddad",
    "Khalil", "Mansour", "Nasser", "Saleh", "Abdullah", "Okafor", "Okonkwo", "Adeyemi",
    "Balogun", "Mensah", "Owusu", "Tesfaye", "Bekele", "Haile", "Abebe", "Mohamud",
    "Warsame", "Santos", "Bautista", "Villanueva", "Aquino", "dela Cruz", "Yamamoto", "Tanaka",
    "Suzuki", "Watanabe", "Cohen", "Levy", "Friedman", "Goldberg", "Katz", "Jensen",
    "Nielsen", "Larson", "Olson", "Johansson", "Lindqvist", "Begay", "Yazzie", "Tsosie",
    "Kealoha", "Kahananui", "Dubois", "Lefebvre", "Moreau", "St. Pierre", "Van der Berg", "MacLeod",
)

HONOREES: tuple[str, ...] = (
    "Lincoln", "Douglass", "Tubman", "Addams", "Clemente", "Chávez", "Parks", "King",
    "Curie", "Einstein", "Du Bois", "Hughes", "Brooks", "Hansberry", "Wells", "Juárez",
    "Franklin", "Edison", "Carver", "Banneker", "Earhart", "Keller", "Thoreau", "Emerson",
    "Whitman", "Twain", "Dickinson", "Morrison", "Angelou", "Baldwin", "Ellington", "Armstrong",
    "Kennedy", "Roosevelt", "Mandela", "Kahlo", "Neruda", "Mistral", "Bolívar", "Hidalgo",
    "Kościuszko", "Pulaski", "Chopin", "Copernicus", "Galileo", "Newton", "Mendel", "Pasteur",
    "Jemison", "Ride", "Hopper", "Lovelace", "Vaughan", "Tesla", "Sagan", "Goodall",
    "Carson", "Muir", "Audubon", "Burnham", "Sandburg", "Sullivan", "Marquette", "DuSable",
    "Pullman", "Tecumseh", "Sequoyah", "Kamehameha", "Yoshino", "Takei", "Chawla", "Ramanujan",
    "Ibn Sina", "Al-Khwarizmi", "Achebe", "Makeba", "Mahalia Jackson", "Ida B. Wells-Barnett",
)
"""People and places schools are named after; repeated with a neighbourhood word when
a district has more schools of one level than there are honorees."""

_NEIGHBOURHOODS = ("", " Park", " Heights", " Ridge", " Grove", " Lakes", " Square", " Village",
                   " Gardens", " Hills", " Shores", " Woods")


_UNDECOMPOSABLE = str.maketrans({"Đ": "D", "đ": "d", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o",
                                 "ß": "ss"})
"""Letters NFKD does not split into an ASCII base letter plus a combining mark."""


def school_name(index: int, kind: str) -> str:
    """A unique name for the ``index``-th school of a kind (``Elementary School``...)."""
    cycle, at = divmod(index, len(HONOREES))
    place = _NEIGHBOURHOODS[cycle % len(_NEIGHBOURHOODS)]
    suffix = f" {cycle // len(_NEIGHBOURHOODS) + 1}" if cycle >= len(_NEIGHBOURHOODS) else ""
    return f"{HONOREES[at]}{place}{suffix} {kind}"


@cache
def ascii_fold(name: str) -> str:
    """``"O'Brien-Peña"`` -> ``"obrienpena"``: the spelling usernames and emails use."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSABLE))
    return "".join(c for c in decomposed.lower() if c.isascii() and c.isalnum())
