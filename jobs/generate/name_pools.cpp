#include "jobs/generate/name_pools.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "jobs/generate/accents.hpp"
#include "src/text/utf8.hpp"

namespace nm::jobs::generator {
namespace {

// Per origin: weight in the registry, rate of people with a middle name, then
// '|'-separated male first names, female first names, surnames (most common
// first), and optional middle-name pools (otherwise first names are used).
struct OriginSpec {
  const char* code;
  double weight;
  double middle_rate;
  const char* male;
  const char* female;
  const char* last;
  const char* male_middle;
  const char* female_middle;
};

constexpr OriginSpec kOrigins[] = {
    {"en", 0.40, 0.75,
     "James|John|Robert|Michael|William|David|Richard|Joseph|Thomas|Charles|Christopher|Daniel|"
     "Matthew|Anthony|Mark|Donald|Steven|Paul|Andrew|Joshua|Kenneth|Kevin|Brian|George|Timothy|"
     "Ronald|Edward|Jason|Jeffrey|Ryan|Jacob|Gary|Nicholas|Eric|Jonathan|Stephen|Larry|Justin|"
     "Scott|Brandon|Benjamin|Samuel|Gregory|Alexander|Frank|Patrick|Raymond|Jack|Dennis|Jerry|"
     "Tyler|Aaron|Henry|Douglas|Peter|Walter|Nathan|Zachary|Kyle|Noah|Ethan|Sean|Christian|"
     "Austin|Philip|Wayne|Dylan|Logan|Mason|Liam",
     "Mary|Patricia|Jennifer|Linda|Elizabeth|Barbara|Susan|Jessica|Sarah|Karen|Lisa|Nancy|Betty|"
     "Margaret|Sandra|Ashley|Kimberly|Emily|Donna|Michelle|Carol|Amanda|Dorothy|Melissa|Deborah|"
     "Stephanie|Rebecca|Sharon|Laura|Cynthia|Kathleen|Amy|Angela|Shirley|Anna|Brenda|Pamela|Emma|"
     "Nicole|Helen|Samantha|Katherine|Christine|Debra|Rachel|Carolyn|Janet|Catherine|Heather|"
     "Megan|Olivia|Ava|Allison|Ann|Kristen|Caitlin|Teresa|Isabel|Abigail|Madison|Hannah|Grace|"
     "Chloe|Evelyn|Judith|Joan|Alice|Julie|Diana|Victoria",
     "Smith|Johnson|Williams|Brown|Jones|Miller|Davis|Wilson|Anderson|Taylor|Thomas|Moore|Jackson|"
     "Martin|Lee|Thompson|White|Harris|Clark|Lewis|Robinson|Walker|Young|Allen|King|Wright|Scott|"
     "Hill|Green|Adams|Baker|Nelson|Carter|Mitchell|Roberts|Turner|Phillips|Campbell|Parker|Evans|"
     "Edwards|Collins|Stewart|Morris|Murphy|Cook|Rogers|Morgan|Peterson|Cooper|Reed|Bailey|Bell|"
     "Kelly|Howard|Ward|Cox|Richardson|Wood|Watson|Brooks|Bennett|Gray|James|Hughes|Price|Sanders|"
     "Myers|Long|Ross|Foster|Powell|Jenkins|Perry|Russell|Sullivan|O'Brien|O'Connor|McDonald|"
     "MacDonald|Fitzgerald|Gallagher|Murray|Reid|Stuart|Graham|Hamilton",
     nullptr, nullptr},
    {"es", 0.17, 0.40,
     "José|Juan|Luis|Carlos|Jesús|Jorge|Miguel|Francisco|Antonio|Alejandro|Manuel|Pedro|Ricardo|"
     "Fernando|Javier|Roberto|Andrés|Rafael|Sergio|Eduardo|Raúl|Ramón|Héctor|Diego|Óscar|"
     "Guillermo|Julián|Martín|Joaquín|Iván|Tomás|Adrián|Ángel|Emilio|Gonzalo|Mateo|Santiago|"
     "Sebastián|Nicolás|Rubén",
     "María|Guadalupe|Ana|Rosa|Carmen|Juana|Sofía|Lucía|Isabel|Laura|Patricia|Verónica|Elena|"
     "Marta|Teresa|Gabriela|Daniela|Valentina|Camila|Mónica|Adriana|Claudia|Alejandra|Silvia|"
     "Beatriz|Inés|Raquel|Natalia|Paula|Leticia|Araceli|Yolanda|Dolores|Pilar|Ximena|Marisol|"
     "Andrea|Noemí|Begoña|Itziar",
     "García|Rodríguez|Martínez|Hernández|López|González|Pérez|Sánchez|Ramírez|Torres|Flores|"
     "Rivera|Gómez|Díaz|Cruz|Morales|Reyes|Gutiérrez|Ortiz|Chávez|Ramos|Ruiz|Álvarez|Mendoza|"
     "Vásquez|Castillo|Jiménez|Moreno|Romero|Herrera|Medina|Aguilar|Vargas|Guzmán|Muñoz|Núñez|"
     "Peña|Domínguez|Castañeda|Ibáñez|Fernández|Suárez|Delgado|Navarro|Rojas|Soto|Contreras|"
     "De la Cruz|Dela Cruz|Santos|Villanueva",
     nullptr, nullptr},
    {"de", 0.05, 0.45,
     "Hans|Peter|Klaus|Jürgen|Wolfgang|Michael|Stefan|Andreas|Thomas|Frank|Uwe|Günter|Dieter|"
     "Horst|Manfred|Helmut|Matthias|Markus|Sebastian|Tobias|Lukas|Jörg|Rüdiger|Björn|Maximilian|"
     "Felix|Jonas|Lars|Dirk|Heinz",
     "Ursula|Monika|Petra|Sabine|Renate|Helga|Karin|Brigitte|Ingrid|Gisela|Andrea|Susanne|Birgit|"
     "Claudia|Jutta|Käthe|Anja|Katrin|Sandra|Stefanie|Julia|Lena|Leonie|Hannelore|Gerda|Erika|"
     "Bärbel|Jana|Annika|Franziska|Doris|Elke",
     "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|Koch|"
     "Bauer|Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger|Hofmann|Hartmann|"
     "Lange|Schmitt|Werner|Schmitz|Krause|Meier|Lehmann|Köhler|Weiß|Jäger|Groß|Fuchs|Vogel|"
     "Keller|Günther|Frank|Berger|Kaiser|Huber|Mayer|Maier",
     nullptr, nullptr},
    {"fr", 0.04, 0.45,
     "Jean|Pierre|Michel|André|Philippe|François|Jacques|Bernard|Alain|Nicolas|Christophe|"
     "Stéphane|Frédéric|Olivier|Sébastien|Laurent|Julien|Thierry|Didier|Éric|Jérôme|Gérard|Rémi|"
     "Benoît|Hugo|Théo|Mathis|Noël|Clément|Aurélien",
     "Marie|Jeanne|Françoise|Monique|Catherine|Nathalie|Isabelle|Sylvie|Christine|Martine|Sophie|"
     "Céline|Valérie|Sandrine|Stéphanie|Hélène|Émilie|Chloé|Léa|Manon|Camille|Amélie|Océane|Anaïs|"
     "Zoë|Renée|Mélanie|Aurélie|Geneviève|Brigitte|Agnès|Josée|Noémie",
     "Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|Laurent|Lefèvre|"
     "Michel|David|Bertrand|Roux|Vincent|Fournier|Morel|Girard|André|Lefebvre|Mercier|Dupont|"
     "Lambert|Bonnet|François|Légaré|Gagnon|Côté|Bouchard|Gauthier|Tremblay|Bélanger|Lévesque|"
     "Pelletier|Bérubé|Thériault|Desrosiers|Beaulieu|Chevalier|Rousseau|Benoît|Lemieux",
     nullptr, nullptr},
    {"pl", 0.04, 0.30,
     "Piotr|Krzysztof|Andrzej|Tomasz|Paweł|Jan|Michał|Marcin|Jakub|Łukasz|Grzegorz|Mateusz|Adam|"
     "Marek|Wojciech|Stanisław|Zbigniew|Jerzy|Tadeusz|Mariusz|Kamil|Dariusz|Rafał|Jacek|Sławomir|"
     "Jiří|Tomáš|Václav|Dmitri|Sergei|Aleksandr|Vladimir|Ivan|Oleksandr|Yuri|Mykola",
     "Anna|Maria|Katarzyna|Małgorzata|Agnieszka|Barbara|Ewa|Krystyna|Elżbieta|Magdalena|Joanna|"
     "Zofia|Aleksandra|Monika|Teresa|Danuta|Natalia|Karolina|Marta|Beata|Dorota|Halina|Jadwiga|"
     "Irena|Bożena|Grażyna|Jana|Petra|Lucie|Věra|Olga|Tatiana|Svetlana|Irina|Natalya|Oksana|"
     "Ludmila",
     "Nowak|Kowalski|Wiśniewski|Wójcik|Kowalczyk|Kamiński|Lewandowski|Zieliński|Szymański|"
     "Woźniak|Dąbrowski|Kozłowski|Jankowski|Mazur|Kwiatkowski|Krawczyk|Piotrowski|Grabowski|"
     "Nowakowski|Pawłowski|Michalski|Król|Wieczorek|Jabłoński|Wróbel|Novák|Svoboda|Novotný|"
     "Dvořák|Černý|Procházka|Kučera|Veselý|Horák|Ivanov|Petrov|Smirnov|Kuznetsov|Popov|Sokolov|"
     "Shevchenko|Kovalenko|Bondarenko",
     nullptr, nullptr},
    {"vi", 0.035, 0.90,
     "Minh|Hùng|Dũng|Tuấn|Quang|Đức|Hải|Nam|Long|Thành|Huy|Phúc|Khoa|Bảo|Trung|Cường|Hiếu|Vinh|"
     "Sơn|Thắng|Tâm|Hoàng|Việt|Duy|Phong",
     "Linh|Anh|Thảo|Hương|Ngọc|Phương|Lan|Mai|Hoa|Trang|Hạnh|Thu|Hằng|Nhung|Vy|Nga|Hà|Thủy|Yến|"
     "Dung|Loan|Quỳnh|Trâm|My|Tuyết",
     "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Lương|Trương|"
     "Mai|Tô|Đoàn|Lâm|Cao|Châu",
     "Văn|Đức|Minh|Quốc|Hữu|Thanh|Công", "Thị|Ngọc|Thu|Thanh|Kim|Mỹ"},
    {"ar", 0.05, 0.35,
     "Mohammed|Ahmed|Ali|Omar|Mahmoud|Hassan|Hussein|Youssef|Ibrahim|Khalid|Abdullah|Mustafa|"
     "Tariq|Karim|Samir|Walid|Bilal|Hamza|Amir|Rashid|Nabil|Faisal|Jamal|Said|Anwar|Imran|Zain|"
     "Adnan",
     "Fatima|Aisha|Mariam|Layla|Noor|Zainab|Amina|Khadija|Huda|Yasmin|Salma|Rania|Hana|Leila|"
     "Samira|Nadia|Farah|Dina|Lina|Reem|Sara|Iman|Maha|Soraya|Jamila",
     "Mohammed|Ahmed|Ali|Hassan|Hussein|Ibrahim|Khan|Abdullah|Mahmoud|Saleh|Haddad|Khalil|Nasser|"
     "Mansour|Hamdan|Aziz|Rahman|Qureshi|Siddiqui|Malik|Sheikh|Haidar|Al-Sayed|El-Amin|Abu-Bakr|"
     "Farouk|Yousef|Othman|Shah|Chaudhry|Hussain|Rashid|Darwish|Barakat",
     nullptr, nullptr},
    {"it", 0.035, 0.30,
     "Giuseppe|Giovanni|Antonio|Mario|Luigi|Francesco|Angelo|Vincenzo|Pietro|Salvatore|Carlo|"
     "Franco|Domenico|Bruno|Paolo|Michele|Giorgio|Aldo|Sergio|Luca|Marco|Alessandro|Matteo|"
     "Lorenzo|Niccolò|Andrea|Stefano|Roberto|Fabrizio|Nicolò",
     "Maria|Anna|Giuseppina|Rosa|Angela|Giovanna|Teresa|Lucia|Carmela|Caterina|Francesca|"
     "Antonietta|Carla|Elena|Concetta|Rita|Margherita|Franca|Paola|Giulia|Chiara|Federica|Alessia|"
     "Martina|Sara|Valentina|Silvia|Simona|Roberta|Ilaria",
     "Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|Conti|"
     "De Luca|Mancini|Costa|Giordano|Rizzo|Lombardi|Moretti|Barbieri|Fontana|Santoro|Mariani|"
     "Rinaldi|Caruso|Ferrara|Galli|Martini|Leone|Longo|Gentile|Martinelli|Vitale|Lombardo|Serra|"
     "Coppola|De Santis|D'Angelo|D'Amico|Cannavò|Pagano|Fabbri|Sorrentino",
     nullptr, nullptr},
    {"in", 0.04, 0.35,
     "Rahul|Amit|Raj|Sanjay|Vikram|Arjun|Rohan|Anil|Sunil|Ravi|Suresh|Ramesh|Vijay|Ajay|Deepak|"
     "Manoj|Arun|Kiran|Pradeep|Nikhil|Aditya|Siddharth|Harpreet|Gurpreet|Mohan|Krishna|Ashok|"
     "Rajesh",
     "Priya|Anjali|Pooja|Neha|Sunita|Kavita|Deepa|Lakshmi|Anita|Meera|Sita|Divya|Shreya|Asha|"
     "Rekha|Swati|Nisha|Aarti|Jyoti|Radha|Sneha|Geeta|Shanti|Usha|Manpreet|Simran",
     "Patel|Sharma|Singh|Kumar|Gupta|Shah|Mehta|Joshi|Reddy|Rao|Iyer|Nair|Desai|Verma|Agarwal|"
     "Chopra|Kapoor|Malhotra|Bhatt|Pillai|Menon|Chauhan|Yadav|Mishra|Pandey|Trivedi|Banerjee|"
     "Chatterjee|Mukherjee|Das|Bose|Ghosh|Sinha|Saxena|Khanna|Sethi|Gill|Sandhu|Dhillon",
     "Kumar|Singh|Prasad|Lal|Chand", "Devi|Kaur|Kumari|Rani"},
    {"ea", 0.045, 0.20,
     "Wei|Jun|Hao|Jie|Lei|Ming|Yang|Tao|Bin|Feng|Qiang|Zhiwei|Jian|Hiroshi|Takashi|Kenji|Satoshi|"
     "Daisuke|Haruto|Kazuo|Ryo|Shōta|Yūto|Kōji|Min-jun|Ji-hoon|Seo-jun|Hyun-woo|Sung-min",
     "Li|Mei|Xiu|Ying|Hui|Jing|Yan|Fang|Xin|Lan|Yuki|Sakura|Yui|Aiko|Haruka|Keiko|Yoko|Emi|Naoko|"
     "Yūko|Kyōko|Ji-woo|Seo-yeon|Min-seo|Ha-eun|Soo-jin|Eun-ji|Hye-jin",
     "Wang|Li|Zhang|Liu|Chen|Yang|Huang|Zhao|Wu|Zhou|Xu|Sun|Ma|Zhu|Hu|Guo|Lin|He|Gao|Luo|Kim|Lee|"
     "Park|Choi|Jung|Kang|Cho|Yoon|Jang|Lim|Sato|Suzuki|Takahashi|Tanaka|Watanabe|Ito|Yamamoto|"
     "Nakamura|Kobayashi|Katō|Saitō|Yoshida|Wong|Chan|Leung|Ng|Cheung|Lau",
     nullptr, nullptr},
    {"no", 0.02, 0.45,
     "Lars|Anders|Johan|Erik|Nils|Per|Jan|Ole|Søren|Bjørn|Mikael|Henrik|Magnus|Kristian|Jens|"
     "Håkan|Göran|Åke|Jörgen|Mats|Sven|Niels|Rasmus|Emil|Oskar|Axel|Eirik|Øyvind|Pål|Sigurður",
     "Anna|Kristina|Ingrid|Karin|Birgitta|Sofia|Maja|Elsa|Astrid|Sigrid|Linnéa|Åsa|Märta|Solveig|"
     "Signe|Freja|Ida|Emma|Mette|Kirsten|Helle|Hanne|Liv|Ragnhild|Tove|Maren|Björk|Guðrún|Þóra",
     "Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Olsson|Persson|Svensson|Gustafsson|"
     "Hansen|Johansen|Olsen|Larsen|Andersen|Pedersen|Nielsen|Jensen|Christensen|Sørensen|"
     "Rasmussen|Jørgensen|Petersen|Madsen|Kristiansen|Berg|Haugen|Hagen|Lindqvist|Lindström|"
     "Bergström|Sjöberg|Åberg|Öberg|Ekström|Håkansson|Jónsson|Guðmundsson|Virtanen|Korhonen|"
     "Mäkinen|Nieminen|Hämäläinen",
     nullptr, nullptr},
    {"tr", 0.015, 0.15,
     "Mehmet|Mustafa|Ahmet|Ali|Hüseyin|Hasan|İbrahim|İsmail|Osman|Yusuf|Murat|Ömer|Ramazan|Halil|"
     "Süleyman|Abdullah|Mahmut|Recep|Emre|Burak|Can|Çağlar|Oğuz|Serkan|Gökhan",
     "Fatma|Ayşe|Emine|Hatice|Zeynep|Elif|Meryem|Şerife|Zehra|Sultan|Hanife|Merve|Özlem|Esra|"
     "Büşra|Gül|Derya|Sibel|Yasemin|Ebru|Nur|Şule|Gülşen|Hülya|Tuğba",
     "Yılmaz|Kaya|Demir|Şahin|Çelik|Yıldız|Yıldırım|Öztürk|Aydın|Özdemir|Arslan|Doğan|Kılıç|"
     "Aslan|Çetin|Kara|Koç|Kurt|Özkan|Şimşek|Polat|Korkmaz|Erdoğan|Güneş|Akın",
     nullptr, nullptr},
    {"af", 0.025, 0.40,
     "Oluwaseun|Chinedu|Emeka|Tunde|Kwame|Kofi|Yaw|Abdoulaye|Mamadou|Moussa|Ibrahima|Chukwuemeka|"
     "Obinna|Olumide|Babajide|Themba|Sipho|Thabo|Kagiso|Tendai|Tafadzwa|Jabari|Amadou|Oumar|Sékou|"
     "Chidi",
     "Ngozi|Chiamaka|Adaeze|Funmilayo|Folake|Yetunde|Amara|Ama|Akosua|Abena|Fatoumata|Aminata|"
     "Mariama|Awa|Aïssatou|Nomvula|Thandiwe|Zanele|Lindiwe|Nandi|Chipo|Rudo|Wanjiru|Akinyi|Njeri|"
     "Ifeoma",
     "Okafor|Okonkwo|Adeyemi|Ogunleye|Eze|Nwosu|Olawale|Balogun|Adebayo|Oyelaran|Mensah|Owusu|"
     "Boateng|Asante|Appiah|Diallo|Traoré|Koné|Touré|Sow|Ba|Ndiaye|Diop|Cissé|Camara|Dlamini|"
     "Nkosi|Ndlovu|Khumalo|Mokoena|Moyo|Kamau|Otieno|Mwangi|Wanjiku|Ochieng",
     nullptr, nullptr},
    {"hu", 0.01, 0.25,
     "László|István|József|János|Zoltán|Sándor|Ferenc|Gábor|Attila|Péter|Tamás|Zsolt|Balázs|"
     "Csaba|Gyula|Lajos",
     "Mária|Erzsébet|Katalin|Ilona|Éva|Anna|Zsuzsanna|Margit|Judit|Ágnes|Andrea|Erika|Krisztina|"
     "Zsófia|Réka|Dóra",
     "Nagy|Kovács|Tóth|Szabó|Horváth|Varga|Kiss|Molnár|Németh|Farkas|Balogh|Papp|Takács|Juhász|"
     "Lakatos|Mészáros|Oláh|Simon|Rácz|Fekete|Szilágyi|Török|Fehér|Balázs",
     nullptr, nullptr},
};

// Spellings a registrar might use for the same person: groups separated by ';',
// members by '|'. A member need not be in the pools (nicknames).
constexpr const char* kFirstNameGroups =
    "Catherine|Katherine|Kathryn|Katharine|Cathy|Kathy|Kate|Katie;John|Jon|Johnny|Jack;"
    "Jonathan|Johnathan|Jonathon|Jon;Steven|Stephen|Steve;Mohammed|Muhammad|Mohamed|Mohammad|"
    "Muhammed;Robert|Bob|Rob|Bobby|Robbie;William|Bill|Will|Billy;Richard|Rick|Rich|Dick|Ricky;"
    "Elizabeth|Elisabeth|Liz|Beth|Betty|Eliza;Margaret|Maggie|Peggy|Meg;Michael|Mike|Micheal;"
    "Christopher|Chris|Kristopher;Jennifer|Jen|Jenny|Jenifer;Alexander|Alex|Alexandre|"
    "Aleksander;Sarah|Sara;Ann|Anne|Annie;Anna|Ana|Anya;Jeffrey|Geoffrey|Jeff|Jeffery;"
    "Sean|Shawn|Shaun;Brian|Bryan;Eric|Erik;Mark|Marc;Philip|Phillip|Phil;Matthew|Matt|Mathew;"
    "Daniel|Dan|Danny;Joseph|Joe|Joey;Thomas|Tom|Tommy;James|Jim|Jimmy|Jamie;Anthony|Tony|"
    "Antony;Nicholas|Nick|Nicolas|Nikolas;Zachary|Zach|Zack|Zachery;Isabel|Isabelle|Isobel|"
    "Izabel|Isabella;Teresa|Theresa|Tereza;Ashley|Ashleigh|Ashlee;Allison|Alison|Alyson|Allyson;"
    "Megan|Meghan|Meagan;Kristen|Kirsten|Kristin;Caitlin|Kaitlyn|Katelyn|Caitlyn;"
    "Aleksandr|Alexandr|Alexander|Sasha;Sergei|Sergey;Dmitri|Dmitry|Dimitri;Yuri|Yury|Yuriy;"
    "Natalia|Natalya|Natalie|Nathalie;Katarzyna|Kasia;Małgorzata|Gosia;Francisco|Paco|Pancho;"
    "José|Pepe;Jesús|Chuy;Guillermo|Memo;Ahmed|Ahmad|Ahmet;Youssef|Yusuf|Yousef|Yusef;"
    "Hussein|Hussain|Husain|Hüseyin;Fatima|Fatimah|Fatma;Aisha|Ayesha|Aysha|Ayşe;"
    "Mariam|Maryam|Miriam|Meryem;Layla|Leila|Laila|Leyla;Omar|Umar|Ömer;Khalid|Khaled;"
    "Mahmoud|Mahmud|Mahmut;Mustafa|Mostafa|Moustafa;Ibrahim|Ebrahim|İbrahim;"
    "Yasmin|Yasmine|Yasemin;Noor|Nour|Nur;Zainab|Zaynab|Zeynep;Amina|Aminah|Emine;"
    "Khadija|Khadijah;Deborah|Debra|Debbie|Debora;Rebecca|Rebekah|Becky|Becca;"
    "Susan|Sue|Susie;Kimberly|Kim|Kimberley;Pamela|Pam;Patricia|Pat|Patty|Trish;"
    "Jessica|Jess|Jessie;Samantha|Sam|Sammy;Samuel|Sam|Sammy;Benjamin|Ben|Benny;"
    "Andrew|Andy|Drew;Timothy|Tim|Timmy;Kenneth|Ken|Kenny;Gregory|Greg;Edward|Ed|Eddie|Ted;"
    "Donald|Don|Donnie;Ronald|Ron|Ronnie;Raymond|Ray;Larry|Lawrence;Dennis|Denis;Peter|Pete;"
    "Henry|Harry|Hank;Douglas|Doug;Patrick|Pat|Paddy;Frank|Frankie|Francis;Walter|Walt;"
    "Jacob|Jake|Jakob;Joshua|Josh;Nathan|Nate;Dorothy|Dottie|Dorothea;Carolyn|Caroline;"
    "Judith|Judy;Victoria|Vicky|Tori;Abigail|Abby|Abbie;Christine|Kristine|Christina;"
    "Hannah|Hanna;Chloe|Chloé;Evelyn|Evelynn|Eveline;Diana|Diane|Dianna;Emily|Emilie;"
    "Luis|Luiz;Giuseppe|Beppe|Peppe;Giovanni|Gianni;Łukasz|Lukas|Lucas;Jakub|Kuba;"
    "Wojciech|Wojtek;Krzysztof|Krzys;Aleksandra|Alexandra|Ola;Zofia|Zosia;Sofía|Sofia|Sophia;"
    "Kristina|Christina|Kristin;Bjørn|Björn;Lars|Lasse;Niccolò|Nicolò|Nicola";

constexpr const char* kLastNameGroups =
    "Smith|Smyth|Smithe;Thompson|Thomson|Tompson;Johnson|Jonson|Johnsen;"
    "Anderson|Andersen|Andersson;Peterson|Petersen|Pedersen|Pettersson;"
    "Meyer|Meier|Mayer|Maier;Schmidt|Schmitt|Schmid|Smidt;Hernández|Hernandes;"
    "González|Gonzales;Vásquez|Vázquez|Vasques;Rodríguez|Rodrigues;"
    "MacDonald|McDonald|Macdonald|Mcdonald;O'Brien|OBrien|O Brien|O'Bryan;"
    "O'Connor|OConnor|O'Conner;Reid|Reed|Read;Gray|Grey;Clark|Clarke;Stewart|Stuart;"
    "Phillips|Philips;Nielsen|Nielson|Neilson;Hansen|Hanson;Olsen|Olson|Olsson;"
    "Larsen|Larson|Larsson;Jensen|Jenson;Christensen|Christiansen|Kristensen;"
    "Mohammed|Muhammad|Mohamed|Mohammad;Ahmed|Ahmad;Hussein|Hussain|Husain;Hassan|Hasan;"
    "Yousef|Youssef|Yusuf;Khan|Kahn;Abdullah|Abdallah;Rahman|Rehman;"
    "Chaudhry|Chaudhary|Choudhury;Qureshi|Kureshi;Lee|Leigh;Zhang|Chang;Nguyễn|Ngyuen;"
    "Kim|Gim;Park|Pak|Bak;Choi|Choe;Jung|Chung|Jeong;Lim|Im;"
    "De la Cruz|Dela Cruz|Delacruz|De La Cruz;De Luca|DeLuca|Deluca;De Santis|DeSantis;"
    "D'Angelo|DAngelo|Dangelo|D Angelo;D'Amico|DAmico|Damico;Al-Sayed|Al Sayed|Alsayed|El-Sayed;"
    "El-Amin|El Amin|Elamin;Abu-Bakr|Abu Bakr|Abubakar;Ivanov|Ivanoff|Iwanow;Petrov|Petroff;"
    "Nowak|Novak|Novák;Popov|Popoff;Singh|Sing;Reddy|Reddi;Sørensen|Sorenson;"
    "Leroy|LeRoy|Le Roy;Lefebvre|Lefèvre|Lefevre;Dupont|Du Pont|DuPont;Dubois|Du Bois|DuBois;"
    "Weiß|Weiss|Weis;Groß|Gross|Gros;Fischer|Fisher;Schneider|Snyder|Schnieder;Flores|Florez;"
    "Ruiz|Ruis;Díaz|Dias;Esposito|Exposito;Diallo|Jallow|Djalo;Touré|Ture;Ndiaye|N'Diaye|Njie";

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(
        s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

void check_chars(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const Utf8Char c = decode_utf8_at(s, i, Utf8Policy::kTrusted);
    const size_t len = c.length;
    if (len > 1 && !in_accent_table(c.cp))
      throw std::logic_error("generate: name pool character missing from the accent table: " +
                             std::string(s));
    i += len;
  }
}

Names build_names() {
  Names n;
  auto build_groups = [](const char* text, std::vector<std::vector<std::string_view>>& groups,
                         std::unordered_map<std::string_view, int>& index) {
    for (std::string_view g : split(text, ';')) {
      groups.push_back(split(g, '|'));
      for (std::string_view m : groups.back()) {
        check_chars(m);
        index.emplace(m, static_cast<int>(groups.size() - 1));  // first group wins
      }
    }
  };
  std::unordered_map<std::string_view, int> first_index, last_index;
  build_groups(kFirstNameGroups, n.first_groups, first_index);
  build_groups(kLastNameGroups, n.last_groups, last_index);
  auto make_pool = [](const char* text, const std::unordered_map<std::string_view, int>& index) {
    Pool p;
    if (text == nullptr) return p;
    p.names = split(text, '|');
    std::vector<double> w;
    for (size_t i = 0; i < p.names.size(); ++i) {
      check_chars(p.names[i]);
      auto it = index.find(p.names[i]);
      p.group.push_back(it == index.end() ? -1 : it->second);
      w.push_back(1.0 / std::pow(static_cast<double>(i) + 2.0, 0.8));
    }
    p.alias = Alias(w);
    return p;
  };
  std::vector<double> ow;
  for (const auto& s : kOrigins) {
    Origin o;
    o.code = s.code;
    o.middle_rate = s.middle_rate;
    o.slavic = o.code == "pl";
    o.male = make_pool(s.male, first_index);
    o.female = make_pool(s.female, first_index);
    o.last = make_pool(s.last, last_index);
    o.male_middle = make_pool(s.male_middle, first_index);
    o.female_middle = make_pool(s.female_middle, first_index);
    if (o.code == "en") n.en = n.origins.size();
    n.origins.push_back(std::move(o));
    ow.push_back(s.weight);
  }
  n.origin_alias = Alias(ow);
  return n;
}

}  // namespace

const Names& names() {
  static const Names n = build_names();
  return n;
}

}  // namespace nm::jobs::generator
