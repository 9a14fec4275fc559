/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built-in optimizers: updates against torch.optim, defaults, property
 * ranges, validation of combined settings, and saving and restoring state. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

/* Parameters against torch.optim in float64. In the float build the inputs
 * themselves are rounded to single precision, and every operation rounds
 * again, which after five steps moves a parameter by about 1e-6. */
#if NN_REAL_IS_DOUBLE
#define STEP_RTOL 1e-10
#define STEP_ATOL 1e-12
#else
#define STEP_RTOL 1e-5
#define STEP_ATOL 1e-6
#endif

/* Two parameters, a 2×3 weight matrix and a 1×3 bias, so that per-parameter
 * state is kept apart; five steps with fixed gradients. The fourth gradient
 * is small, so that AMSGrad's running maximum and Rprop's sign changes
 * matter. The expected values were computed with PyTorch 1.13 in float64:
 * for each optimizer, p.grad is set to the gradients below and step() is
 * called, and the parameters are recorded after each step. */
#define N_STEPS 5
#define N_VALUES 9
#define N_WEIGHTS 6

static const double initial_params[N_VALUES] = {
  0.5, -1.2, 0.8, 1.5, -0.7, -0.9, 0.6, -1.1, 1.3
};

static const double gradients[N_STEPS][N_VALUES] = {
  { 0.2502, 0.7944, 0.5514, -0.5496, -0.3997, 0.7471, -0.9895, 0.6425, 0.5941 },
  { -0.3, -0.3939, -0.4431, -0.4903, -0.1098, 0.3, 0.107, 0.991, 0.5853 },
  { 0.2444, 0.9779, -0.5694, -0.6796, 0.2251, -0.9121, -0.9286, 0.3, -0.3 },
  { 0.0834, 0.0258, 0.03, -0.03, -0.0505, -0.0976, -0.0615, 0.0384, -0.0599 },
  { -0.2609, -0.9925, 0.6601, -0.6911, -0.4648, 0.7607, 0.3, 0.6943, 0.2794 },
};

static const double expected_sgd[N_STEPS][N_VALUES] = {
  /* sgd learning_rate=0.1 */
  { 0.47498000000000001, -1.2794399999999999, 0.74486000000000008, 1.5549599999999999, -0.66003000000000001, -0.97471000000000008, 0.69894999999999996, -1.16425, 1.2405900000000001 },
  { 0.50497999999999998, -1.2400499999999999, 0.78917000000000004, 1.6039899999999998, -0.64905000000000002, -1.00471, 0.68824999999999992, -1.26335, 1.1820600000000001 },
  { 0.48053999999999997, -1.3378399999999999, 0.84611000000000003, 1.6719499999999998, -0.67156000000000005, -0.91349999999999998, 0.78110999999999997, -1.29335, 1.2120600000000001 },
  { 0.47219999999999995, -1.3404199999999999, 0.84311000000000003, 1.6749499999999997, -0.66651000000000005, -0.90373999999999999, 0.78725999999999996, -1.2971900000000001, 1.2180500000000001 },
  { 0.49828999999999996, -1.2411699999999999, 0.77710000000000001, 1.7440599999999997, -0.62003000000000008, -0.97980999999999996, 0.75725999999999993, -1.3666200000000002, 1.19011 },
};

static const double expected_sgd_momentum[N_STEPS][N_VALUES] = {
  /* sgd learning_rate=0.1, momentum=0.9 */
  { 0.47498000000000001, -1.2794399999999999, 0.74486000000000008, 1.5549599999999999, -0.66003000000000001, -0.97471000000000008, 0.69894999999999996, -1.16425, 1.2405900000000001 },
  { 0.482462, -1.3115459999999999, 0.73954400000000009, 1.653454, -0.61307699999999998, -1.071949, 0.77730500000000002, -1.321175, 1.1285910000000001 },
  { 0.4647558, -1.4382313999999998, 0.79169960000000006, 1.8100586000000001, -0.59332929999999995, -1.0682541000000001, 0.94068450000000003, -1.4924074999999999, 1.0577919 },
  { 0.44048021999999998, -1.5548282599999999, 0.83563964000000002, 1.9540027400000002, -0.57050636999999993, -1.0551686900000001, 1.09387605, -1.6503567499999998, 1.0000627099999999 },
  { 0.44472219799999996, -1.5605154339999998, 0.80917567600000007, 2.1526624660000002, -0.50348573299999988, -1.1194618210000002, 1.201748445, -1.8619410749999998, 0.92016643899999995 },
};

static const double expected_sgd_dampening[N_STEPS][N_VALUES] = {
  /* sgd learning_rate=0.1, momentum=0.9, dampening=0.5 */
  { 0.47498000000000001, -1.2794399999999999, 0.74486000000000008, 1.5549599999999999, -0.66003000000000001, -0.97471000000000008, 0.69894999999999996, -1.16425, 1.2405900000000001 },
  { 0.46746199999999999, -1.3312409999999999, 0.71738900000000005, 1.6289389999999999, -0.61856699999999998, -1.0569490000000001, 0.78265499999999999, -1.271625, 1.157856 },
  { 0.44847579999999998, -1.4267569, 0.72113510000000003, 1.7295000999999999, -0.59250530000000001, -1.0853591000000002, 0.90441950000000004, -1.3832625000000001, 1.0983954 },
  { 0.42721821999999998, -1.5140112100000001, 0.72300659, 1.8215050899999998, -0.56652477000000001, -1.1060481900000003, 1.01708255, -1.4856562500000001, 1.04787586 },
  { 0.42113139799999999, -1.5429150890000001, 0.69168593099999998, 1.9388645809999998, -0.51990229300000002, -1.1627033710000003, 1.1034792950000001, -1.6125256250000002, 0.98843827399999995 },
};

static const double expected_sgd_nesterov[N_STEPS][N_VALUES] = {
  /* sgd learning_rate=0.1, momentum=0.9, nesterov=true */
  { 0.45246199999999998, -1.3509359999999999, 0.69523400000000002, 1.6044240000000001, -0.62405699999999997, -1.041949, 0.78800499999999996, -1.222075, 1.1871210000000001 },
  { 0.48919579999999996, -1.3404414, 0.73475960000000007, 1.7420986000000001, -0.57081929999999992, -1.1594641000000001, 0.84782449999999998, -1.4624075000000001, 1.0277919 },
  { 0.44882021999999994, -1.55224826, 0.83863964000000002, 1.9510027400000001, -0.57555636999999993, -1.0649286900000001, 1.0877260499999999, -1.6465167500000002, 0.99407270999999997 },
  { 0.41863219799999996, -1.6597654340000001, 0.87518567600000008, 2.083552466, -0.54996573299999996, -1.0433918210000002, 1.231748445, -1.7925110750000002, 0.94810643899999991 },
  { 0.44853997819999997, -1.5656338906, 0.78535810840000009, 2.3314562194000001, -0.44316715969999992, -1.1773256389000002, 1.2988336005000001, -2.0523669675000002, 0.84825979509999994 },
};

static const double expected_sgd_weight_decay[N_STEPS][N_VALUES] = {
  /* sgd learning_rate=0.1, weight_decay=0.1 */
  { 0.46998000000000001, -1.2674399999999999, 0.73686000000000007, 1.53996, -0.65303, -0.96571000000000007, 0.69294999999999995, -1.1532500000000001, 1.22759 },
  { 0.4952802, -1.2153756, 0.77380140000000008, 1.5735904000000001, -0.63551970000000002, -0.98605290000000012, 0.67532049999999999, -1.2408175000000001, 1.1567840999999999 },
  { 0.46588739800000001, -1.301011844, 0.82300338600000011, 1.6258144960000001, -0.65167450300000007, -0.8849823710000001, 0.76142729499999995, -1.2584093250000001, 1.1752162589999999 },
  { 0.45288852402000002, -1.2905817255600001, 0.81177335214000013, 1.6125563510400001, -0.64010775797000008, -0.86637254729000013, 0.75996302204999999, -1.2496652317500001, 1.16945409641 },
  { 0.47444963877980001, -1.1784259083044, 0.73764561861860012, 1.6655407875296, -0.58722668039030013, -0.93377882181710015, 0.72236339182950005, -1.3065985794325001, 1.1298195554459001 },
};

static const double expected_adam[N_STEPS][N_VALUES] = {
  /* adam  */
  { 0.49900000003996803, -1.2009999999874119, 0.79900000001813565, 1.5009999999818049, -0.69900000002501872, -0.90099999998661495, 0.60099999998989384, -1.100999999984436, 1.2990000000168322 },
  { 0.49914255497535021, -1.2012695497443502, 0.79894406034059484, 1.5019954098796329, -0.6981566921315272, -0.90189916576171336, 0.6015861300830313, -1.1019888710019889, 1.2980004168336428 },
  { 0.49889696393486355, -1.2018828721321455, 0.79931114510098067, 1.5029940920268143, -0.69788904482195924, -0.90187975643341955, 0.60235328236163488, -1.1028870813614544, 1.2974897823055489 },
  { 0.49859541433097737, -1.2023965385749245, 0.79959246709525811, 1.5038291893078573, -0.69760911324015051, -0.90181739519513904, 0.60300730122544965, -1.1036407988556736, 1.2971116870911348 },
  { 0.49863862922275787, -1.2024153374424709, 0.79946380019758323, 1.5047199648942406, -0.69705815119209458, -0.90206150489102621, 0.60342966574436696, -1.1044644411668891, 1.2966429662324341 },
};

static const double expected_adam_amsgrad[N_STEPS][N_VALUES] = {
  /* adam learning_rate=0.1, beta2=0.9, weight_decay=0.1, amsgrad=true */
  { 0.40000000333111252, -1.2999999985172004, 0.70000000158378206, 1.5999999974974974, -0.60000000212901838, -0.99999999847816168, 0.69999999892415277, -1.1999999981220659, 1.2000000013810248 },
  { 0.39808484908580222, -1.3072870019323644, 0.67993690181804423, 1.6995490628056755, -0.50985338096746613, -1.0873740112070145, 0.75147798211321759, -1.297286440135174, 1.1000086389005617 },
  { 0.35961636559682958, -1.3557908115081339, 0.70359543843078964, 1.7979359581386134, -0.4648438830177884, -1.0716866221711552, 0.82431611509013403, -1.3808728508032302, 1.0363789815944118 },
  { 0.31498874523091985, -1.3894151101969738, 0.71602690584561046, 1.8649690210026539, -0.41809518752540759, -1.0499127064077445, 0.8815737055614894, -1.4423141631273917, 0.98314752027142827 },
  { 0.30330521006335692, -1.3738984473784097, 0.68986066026076209, 1.9426090541257901, -0.35330558432831166, -1.0584996842927219, 0.91290322573180749, -1.5177744420217762, 0.92028638754395997 },
};

static const double expected_adamw[N_STEPS][N_VALUES] = {
  /* adamw  */
  { 0.49899500003996805, -1.200987999987412, 0.79899200001813564, 1.500984999981805, -0.69899300002501874, -0.90099099998661503, 0.60099399998989389, -1.100988999984436, 1.2989870000168322 },
  { 0.49913256502534986, -1.2012455398643505, 0.79892807042059466, 1.5019654000296332, -0.69814270220152697, -0.90188115585171358, 0.60157412014303147, -1.1019668611119893, 1.2979744269636426 },
  { 0.49888198265921296, -1.2018468497967472, 0.79928716590027626, 1.5029490625228143, -0.69786807346493707, -0.90185272771186131, 0.60233525668043364, -1.1028540518028436, 1.2974508126912792 },
  { 0.49857544423550021, -1.2023484977710281, 0.79956049502289472, 1.5037691303132321, -0.69758116320239372, -0.90178134794630371, 0.60298325219168158, -1.1035967407565448, 1.2970597429687383 },
  { 0.49861367337283835, -1.2023552731535969, 0.79942383252026961, 1.5046448682083124, -0.69702322534270578, -0.90201643982871149, 0.60339958687807704, -1.1044093471003529, 1.296578051512608 },
};

static const double expected_adamw_options[N_STEPS][N_VALUES] = {
  /* adamw learning_rate=0.1, beta1=0.8, weight_decay=0.5, epsilon=0.001 */
  { 0.37539808917197448, -1.2398742770932862, 0.66018102824040548, 1.5248183799491462, -0.56524956326428744, -0.9548663280310119, 0.6698990408884401, -1.1448445998445997, 1.1351680389850445 },
  { 0.3766351351247203, -1.1992589291111841, 0.62739146637518406, 1.5475953723081479, -0.45582592542630368, -0.99458907574725008, 0.69038354239793265, -1.187589808807094, 0.97866409218654415 },
  { 0.33255246685450857, -1.2021889207451639, 0.64057123054309151, 1.5708706250702598, -0.415254789044886, -0.93355977139901947, 0.73275614979555004, -1.2157091467182768, 0.88588165380163197 },
  { 0.28494085083725079, -1.1914160823802689, 0.64030521336711232, 1.5711692448919066, -0.3738121374894221, -0.87287144443569842, 0.75782597879504277, -1.2238327681840573, 0.81274486168338955 },
  { 0.28167854560428623, -1.1229061532039495, 0.58945311073857709, 1.5812758447191351, -0.29712513249757277, -0.85501946566662912, 0.75298466629843941, -1.2425410318836532, 0.73057801305230852 },
};

static const double expected_rmsprop[N_STEPS][N_VALUES] = {
  /* rmsprop  */
  { 0.40000003996800965, -1.2999999874118846, 0.70000001813565149, 1.5999999818049524, -0.60000002501875782, -0.99999998661491274, 0.69999998989388679, -1.1999999844358, 1.2000000168321803 },
  { 0.4769549685636264, -1.2553972514168283, 0.76283121959606337, 1.6667563678664807, -0.57338671959116971, -1.0374247162051184, 0.68919559230212013, -1.2840325549990739, 1.1296401513534085 },
  { 0.42364608757968697, -1.3297798580966751, 0.82584238062336091, 1.7348562637302629, -0.62146718314610949, -0.96214674026544111, 0.75777864346667223, -1.3088026761117129, 1.1637160694037356 },
  { 0.40566123116370661, -1.331751802201701, 0.82250763997466014, 1.7378762057507049, -0.61068939191485172, -0.95407737956250571, 0.76233894525503743, -1.3119876077924577, 1.1705382392769255 },
  { 0.45488257500393248, -1.271122131254341, 0.76315600076304424, 1.7951783603433502, -0.54008569440646059, -1.0075081013407621, 0.74052016497139728, -1.3620790844052588, 1.1400762896334871 },
};

static const double expected_rmsprop_centered[N_STEPS][N_VALUES] = {
  /* rmsprop learning_rate=0.05, alpha=0.9, centered=true, momentum=0.9, weight_decay=0.1 */
  { 0.33333335183951235, -1.366666658428892, 0.63333334213212222, 1.6666666527638763, -0.53333334516121311, -1.0666666582120095, 0.76666666068973788, -1.2666666562336992, 1.1333333410056925 },
  { 0.29140353449050482, -1.4156933956108371, 0.56829687248135774, 1.9305868864573434, -0.3242898567208809, -1.2673058577076353, 0.88354383894133426, -1.5674249009505368, 0.85806827103519157 },
  { 0.15794716274413581, -1.5786028019885905, 0.60637653516226742, 2.300241450519946, -0.19986976055192948, -1.3115460417281233, 1.1084115510516463, -1.8644448517793937, 0.64796800978613978 },
  { 0.0016977326265711326, -1.7058336284205899, 0.6228366048884203, 2.5823966607840649, -0.063393033624312353, -1.3201253135737991, 1.3034930738248043, -2.1045132170802687, 0.45797579299649727 },
  { -0.05616716706539273, -1.7018445958647708, 0.52779726943675209, 2.9366893978782325, 0.18432973867521057, -1.4058339849549288, 1.4194843645487811, -2.4065394068331889, 0.22607572977412818 },
};

static const double expected_adagrad[N_STEPS][N_VALUES] = {
  /* adagrad  */
  { 0.49000000000399679, -1.2099999999987412, 0.79000000000181358, 1.5099999999981806, -0.69000000000250183, -0.90999999999866155, 0.60999999999898935, -1.1099999999984436, 1.2900000000016834 },
  { 0.49767969427125497, -1.2055576622959403, 0.79626400311920653, 1.5166570272544921, -0.68735107066269485, -0.9137263245201146, 0.60892491315163522, -1.1183908141528764, 1.282981887761234 },
  { 0.4923758093834667, -1.2129657469535522, 0.80253442655491081, 1.5234384276613904, -0.69212332975689006, -0.90622912353692564, 0.61574685013556063, -1.1208527374359376, 1.2863667392449785 },
  { 0.49059482690400219, -1.2131611576183889, 0.80220423665357676, 1.5237376491408512, -0.69105878236111007, -0.90542944867594233, 0.61619819793304909, -1.1211677072653536, 1.2870410430292474 },
  { 0.49546185796632147, -1.2071523358911853, 0.79632646187278566, 1.5294130333385949, -0.68406020631108178, -0.91071888346905061, 0.61404799973598245, -1.1261163819997846, 1.2840406996827378 },
};

static const double expected_adagrad_options[N_STEPS][N_VALUES] = {
  /* adagrad learning_rate=0.1, lr_decay=0.1, initial_accumulator_value=0.5, weight_decay=0.1 */
  { 0.46092126415988921, -1.2690172837489528, 0.73339521485371717, 1.5491992823691059, -0.64466906870732898, -0.96807296690710798, 0.67958788158892969, -1.1601567717866392, 1.2284547921858382 },
  { 0.48945108532364878, -1.2262584672384476, 0.7664303493682133, 1.5838962028959169, -0.6263878133496672, -0.98679891857352986, 0.66611931953421621, -1.2240655207475331, 1.1763374450101103 },
  { 0.46104614724788939, -1.2771995733850212, 0.80275090009815653, 1.6264089293898747, -0.64174287574668254, -0.92715971993818913, 0.71525040455441824, -1.2358367520570874, 1.1885086465106183 },
  { 0.44959956619568359, -1.2716108719601664, 0.79528333829359243, 1.6165053607543296, -0.63182169692560508, -0.91688711020701685, 0.71472296958619586, -1.2306368558267604, 1.1848809282572237 },
  { 0.46680104326567579, -1.227052982918178, 0.75630865450406748, 1.6491539050715249, -0.59535115319671872, -0.94724051746014404, 0.69713396622899981, -1.2601277038672585, 1.163215720394368 },
};

static const double expected_rprop[N_STEPS][N_VALUES] = {
  /* rprop  */
  { 0.48999999999999999, -1.21, 0.79000000000000004, 1.51, -0.68999999999999995, -0.91000000000000003, 0.60999999999999999, -1.1100000000000001, 1.29 },
  { 0.48999999999999999, -1.21, 0.79000000000000004, 1.522, -0.67799999999999994, -0.92200000000000004, 0.60999999999999999, -1.1220000000000001, 1.278 },
  { 0.48499999999999999, -1.2149999999999999, 0.79500000000000004, 1.5364, -0.67799999999999994, -0.92200000000000004, 0.61499999999999999, -1.1364000000000001, 1.278 },
  { 0.47899999999999998, -1.2209999999999999, 0.79500000000000004, 1.5536799999999999, -0.67199999999999993, -0.91600000000000004, 0.621, -1.15368, 1.284 },
  { 0.47899999999999998, -1.2209999999999999, 0.79250000000000009, 1.574416, -0.66479999999999995, -0.91600000000000004, 0.621, -1.1744160000000001, 1.284 },
};

static const double expected_rprop_options[N_STEPS][N_VALUES] = {
  /* rprop learning_rate=0.01, eta_minus=0.3, eta_plus=1.5, step_min=0.005, step_max=0.02 */
  { 0.48999999999999999, -1.21, 0.79000000000000004, 1.51, -0.68999999999999995, -0.91000000000000003, 0.60999999999999999, -1.1100000000000001, 1.29 },
  { 0.48999999999999999, -1.21, 0.79000000000000004, 1.5249999999999999, -0.67499999999999993, -0.92500000000000004, 0.60999999999999999, -1.125, 1.2750000000000001 },
  { 0.48499999999999999, -1.2149999999999999, 0.79500000000000004, 1.5449999999999999, -0.67499999999999993, -0.92500000000000004, 0.61499999999999999, -1.145, 1.2750000000000001 },
  { 0.47749999999999998, -1.2224999999999999, 0.79500000000000004, 1.5649999999999999, -0.66999999999999993, -0.92000000000000004, 0.62249999999999994, -1.165, 1.28 },
  { 0.47749999999999998, -1.2224999999999999, 0.79000000000000004, 1.585, -0.66249999999999998, -0.92000000000000004, 0.62249999999999994, -1.1850000000000001, 1.28 },
};

/* Helpers */

/* An optimizer of a registered name, with SETTINGS as "key=value" pairs
 * separated by spaces, keys written as in YAML. */
static NnOptimizer *
make_optimizer (const char *name,
                const char *settings)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTypeClass) klass = NULL;
  g_auto(GStrv) pairs = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  GType type;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  type = nn_plugins_lookup (NN_OPTIMIZER_EXTENSION_POINT_NAME, name, &error);
  NN_ASSERT_NO_ERROR (error);
  if (type == G_TYPE_INVALID)
    return NULL;
  klass = g_type_class_ref (type);

  pairs = g_strsplit (settings, " ", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (pairs[i], "=", 2);
      GValue      value = G_VALUE_INIT;
      GParamSpec *pspec;

      if (*pairs[i] == '\0')
        continue;
      g_strdelimit (kv[0], "_", '-');
      pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), kv[0]);
      CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
      g_value_init (&value, pspec->value_type);
      if (pspec->value_type == G_TYPE_BOOLEAN)
        g_value_set_boolean (&value, g_str_equal (kv[1], "true"));
      else
        g_value_set_double (&value, g_ascii_strtod (kv[1], NULL));
      CU_ASSERT_FALSE (g_param_value_validate (pspec, &value));
      g_ptr_array_add (names, g_strdup (pspec->name));
      g_array_append_val (values, value);
    }
  return NN_OPTIMIZER (g_object_new_with_properties (type, names->len,
                                                     (const char **) names->pdata,
                                                     (const GValue *) values->data));
}

/* The weight and bias matrices of the initial parameters, and their
 * gradients at step K. */
static void
set_values (NnMatrix     *weights,
            NnMatrix     *bias,
            const double *values)
{
  for (guint i = 0; i < N_WEIGHTS; i++)
    weights->data[i] = (nn_real) values[i];
  for (guint i = N_WEIGHTS; i < N_VALUES; i++)
    bias->data[i - N_WEIGHTS] = (nn_real) values[i];
}

static double
get_value (NnMatrix **params,
           guint      i)
{
  return i < N_WEIGHTS ? params[0]->data[i] : params[1]->data[i - N_WEIGHTS];
}

typedef struct
{
  NnMatrix *params[2];
  NnMatrix *grads[2];
} Problem;

static void
problem_init (Problem *problem)
{
  problem->params[0] = nn_matrix_new (2, 3);
  problem->params[1] = nn_matrix_new (1, 3);
  problem->grads[0] = nn_matrix_new (2, 3);
  problem->grads[1] = nn_matrix_new (1, 3);
  set_values (problem->params[0], problem->params[1], initial_params);
}

static void
problem_clear (Problem *problem)
{
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&problem->params[i], nn_matrix_free);
      g_clear_pointer (&problem->grads[i], nn_matrix_free);
    }
}

static void
problem_step (Problem     *problem,
              NnOptimizer *optimizer,
              guint        k)
{
  set_values (problem->grads[0], problem->grads[1], gradients[k]);
  nn_optimizer_step (optimizer, 2, problem->params, (const NnMatrix **) problem->grads);
}

static void
check_against_torch (const char  *name,
                     const char  *settings,
                     const double expected[N_STEPS][N_VALUES])
{
  g_autoptr(NnOptimizer) optimizer = make_optimizer (name, settings);
  g_autoptr(GError) error = NULL;
  Problem problem;

  CU_ASSERT_PTR_NOT_NULL_FATAL (optimizer);
  CU_ASSERT_TRUE (nn_optimizer_validate (optimizer, &error));
  NN_ASSERT_NO_ERROR (error);

  problem_init (&problem);
  nn_optimizer_prepare (optimizer, 2, (const NnMatrix **) problem.params);
  for (guint k = 0; k < N_STEPS; k++)
    {
      problem_step (&problem, optimizer, k);
      for (guint i = 0; i < N_VALUES; i++)
        {
          double got = get_value (problem.params, i);

          NN_CHECK (nn_test_close (got, expected[k][i], STEP_RTOL, STEP_ATOL),
                    "%s %s: step %u value %u = %.17g, PyTorch %.17g", name, settings, k + 1, i,
                    got, expected[k][i]);
        }
    }
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (optimizer), N_STEPS);
  problem_clear (&problem);
}

#define AGAINST_TORCH(id, name, settings) \
  static void test_##id (void) \
  { \
    check_against_torch (name, settings, expected_##id); \
  }

AGAINST_TORCH (sgd, "sgd", "learning_rate=0.1")
AGAINST_TORCH (sgd_momentum, "sgd", "learning_rate=0.1 momentum=0.9")
AGAINST_TORCH (sgd_dampening, "sgd", "learning_rate=0.1 momentum=0.9 dampening=0.5")
AGAINST_TORCH (sgd_nesterov, "sgd", "learning_rate=0.1 momentum=0.9 nesterov=true")
AGAINST_TORCH (sgd_weight_decay, "sgd", "learning_rate=0.1 weight_decay=0.1")
AGAINST_TORCH (adam, "adam", "")
AGAINST_TORCH (adam_amsgrad, "adam", "learning_rate=0.1 beta2=0.9 weight_decay=0.1 amsgrad=true")
AGAINST_TORCH (adamw, "adamw", "")
AGAINST_TORCH (adamw_options, "adamw", "learning_rate=0.1 beta1=0.8 weight_decay=0.5 epsilon=1e-3")
AGAINST_TORCH (rmsprop, "rmsprop", "")
AGAINST_TORCH (rmsprop_centered,
               "rmsprop",
               "learning_rate=0.05 alpha=0.9 centered=true momentum=0.9 weight_decay=0.1")
AGAINST_TORCH (adagrad, "adagrad", "")
AGAINST_TORCH (adagrad_options,
               "adagrad",
               "learning_rate=0.1 lr_decay=0.1 initial_accumulator_value=0.5 weight_decay=0.1")
AGAINST_TORCH (rprop, "rprop", "")
AGAINST_TORCH (rprop_options,
               "rprop",
               "learning_rate=0.01 eta_minus=0.3 eta_plus=1.5 step_min=0.005 step_max=0.02")

/* Defaults and ranges */

typedef struct
{
  const char *optimizer;
  const char *property;
  double      value; /* for a boolean: 0 or 1 */
} Default;

/* torch.optim's defaults (torch.optim.SGD has no default learning rate). */
static const Default torch_defaults[] = {
  { "sgd", "learning-rate", 0.01 },
  { "sgd", "momentum", 0.0 },
  { "sgd", "dampening", 0.0 },
  { "sgd", "nesterov", 0 },
  { "sgd", "weight-decay", 0.0 },
  { "adam", "learning-rate", 0.001 },
  { "adam", "beta1", 0.9 },
  { "adam", "beta2", 0.999 },
  { "adam", "epsilon", 1e-8 },
  { "adam", "weight-decay", 0.0 },
  { "adam", "amsgrad", 0 },
  { "adamw", "learning-rate", 0.001 },
  { "adamw", "beta1", 0.9 },
  { "adamw", "beta2", 0.999 },
  { "adamw", "epsilon", 1e-8 },
  { "adamw", "weight-decay", 0.01 },
  { "adamw", "amsgrad", 0 },
  { "rmsprop", "learning-rate", 0.01 },
  { "rmsprop", "alpha", 0.99 },
  { "rmsprop", "epsilon", 1e-8 },
  { "rmsprop", "momentum", 0.0 },
  { "rmsprop", "weight-decay", 0.0 },
  { "rmsprop", "centered", 0 },
  { "adagrad", "learning-rate", 0.01 },
  { "adagrad", "epsilon", 1e-10 },
  { "adagrad", "weight-decay", 0.0 },
  { "adagrad", "lr-decay", 0.0 },
  { "adagrad", "initial-accumulator-value", 0.0 },
  { "rprop", "learning-rate", 0.01 },
  { "rprop", "eta-minus", 0.5 },
  { "rprop", "eta-plus", 1.2 },
  { "rprop", "step-min", 1e-6 },
  { "rprop", "step-max", 50.0 },
};

static double
value_as_double (const GValue *value)
{
  if (G_VALUE_HOLDS_BOOLEAN (value))
    return g_value_get_boolean (value);
  return g_value_get_double (value);
}

static void
test_defaults (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (torch_defaults); i++)
    {
      const Default *d = &torch_defaults[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(NnOptimizer) optimizer = nn_optimizer_new_by_name (d->optimizer, &error);
      g_auto(GValue) current = G_VALUE_INIT;
      GParamSpec      *pspec;
      g_autofree char *msg = NULL;

      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_PTR_NOT_NULL_FATAL (optimizer);
      pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (optimizer), d->property);
      msg = g_strdup_printf ("%s has a property %s", d->optimizer, d->property);
      CU_assertImplementation (pspec != NULL, __LINE__, msg, __FILE__, "", CU_TRUE);

      /* What `nnrun plugins` shows, and what a new object holds. */
      NN_ASSERT_CMPFLOAT (value_as_double (g_param_spec_get_default_value (pspec)),
                          d->value, 0.0, 0.0);
      g_value_init (&current, pspec->value_type);
      g_object_get_property (G_OBJECT (optimizer), d->property, &current);
      NN_ASSERT_CMPFLOAT (value_as_double (&current), d->value, 0.0, 0.0);
    }
}

static void
test_learning_rate_listed_once (void)
{
  static const char * const names[] = { "sgd", "adam", "adamw", "rmsprop", "adagrad", "rprop" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      GType type = nn_plugins_lookup (NN_OPTIMIZER_EXTENSION_POINT_NAME, names[i], &error);
      g_autoptr(GTypeClass) klass = NULL;
      g_autofree GParamSpec **props = NULL;
      guint                   n_props = 0, n_lr = 0;
      const char             *description;

      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_FATAL (type != G_TYPE_INVALID);
      klass = g_type_class_ref (type);
      props = g_object_class_list_properties (G_OBJECT_CLASS (klass), &n_props);
      for (guint p = 0; p < n_props; p++)
        {
          n_lr += g_str_equal (props[p]->name, "learning-rate");
          CU_ASSERT_PTR_NOT_NULL (g_param_spec_get_blurb (props[p]));
        }
      CU_ASSERT_EQUAL (n_lr, 1);
      description = NN_OPTIMIZER_CLASS (klass)->description;
      CU_ASSERT_TRUE (description != NULL && *description != '\0');
      CU_ASSERT_STRING_EQUAL (nn_plugins_get_file_for_type (type), "(built-in)");
    }
}

static void
test_learning_rate_setter (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnOptimizer) adam = nn_optimizer_new_by_name ("adam", &error);
  double lr = 0.0;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (adam);
  nn_optimizer_set_learning_rate (adam, 0.25);
  g_object_get (adam, "learning-rate", &lr, NULL);
  NN_ASSERT_CMPFLOAT (lr, 0.25, 0.0, 0.0);
  g_object_set (adam, "learning-rate", 0.5, NULL);
  NN_ASSERT_CMPFLOAT (nn_optimizer_get_learning_rate (adam), 0.5, 0.0, 0.0);
}

typedef struct
{
  const char *optimizer;
  const char *property;
  double      value;
  gboolean    valid;
} RangeCase;

static const RangeCase range_cases[] = {
  { "sgd", "learning-rate", -0.01, FALSE },
  { "sgd", "momentum", -0.1, FALSE },
  { "sgd", "momentum", 0.99, TRUE },
  { "sgd", "dampening", 1.5, FALSE },
  { "sgd", "weight-decay", -1e-4, FALSE },
  { "adam", "learning-rate", -0.001, FALSE },
  { "adam", "beta1", 1.0, FALSE },
  { "adam", "beta1", 0.999999, TRUE },
  { "adam", "beta1", 0.0, TRUE },
  { "adam", "beta2", -0.1, FALSE },
  { "adam", "epsilon", -1e-8, FALSE },
  { "adam", "weight-decay", -0.1, FALSE },
  { "adamw", "beta2", 1.0, FALSE },
  { "adamw", "weight-decay", -0.01, FALSE },
  { "rmsprop", "alpha", 1.5, FALSE },
  { "rmsprop", "alpha", -0.1, FALSE },
  { "rmsprop", "momentum", -0.5, FALSE },
  { "rmsprop", "epsilon", -1.0, FALSE },
  { "adagrad", "lr-decay", -0.1, FALSE },
  { "adagrad", "initial-accumulator-value", -1.0, FALSE },
  { "adagrad", "epsilon", -1e-10, FALSE },
  { "rprop", "eta-minus", 0.0, FALSE },
  { "rprop", "eta-minus", 1.0, FALSE },
  { "rprop", "eta-minus", 0.9, TRUE },
  { "rprop", "eta-plus", 1.0, FALSE },
  { "rprop", "eta-plus", 1.01, TRUE },
  { "rprop", "step-min", -1e-6, FALSE },
  { "rprop", "step-max", -1.0, FALSE },
};

static void
test_ranges (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (range_cases); i++)
    {
      const RangeCase *r = &range_cases[i];
      g_autoptr(GError) error = NULL;
      GType type = nn_plugins_lookup (NN_OPTIMIZER_EXTENSION_POINT_NAME, r->optimizer, &error);
      g_autoptr(GTypeClass) klass = NULL;
      g_auto(GValue) value = G_VALUE_INIT;
      GParamSpec *pspec;

      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_FATAL (type != G_TYPE_INVALID);
      klass = g_type_class_ref (type);
      pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), r->property);
      CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
      g_value_init (&value, G_TYPE_DOUBLE);
      g_value_set_double (&value, r->value);
      /* g_param_value_validate() returns TRUE when it had to change the value. */
      NN_CHECK (g_param_value_validate (pspec, &value) == !r->valid, "%s %s = %g is %s",
                r->optimizer, r->property, r->value, r->valid ? "accepted" : "rejected");
    }
}

/* Settings that only make sense together */

static void
test_nesterov_needs_momentum (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnOptimizer) plain = make_optimizer ("sgd", "nesterov=true");
  g_autoptr(NnOptimizer) damped = make_optimizer ("sgd", "nesterov=true momentum=0.9 dampening=0.1");
  g_autoptr(NnOptimizer) good = make_optimizer ("sgd", "nesterov=true momentum=0.9");

  CU_ASSERT_FALSE (nn_optimizer_validate (plain, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "nesterov"));
  g_clear_error (&error);

  CU_ASSERT_FALSE (nn_optimizer_validate (damped, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
  g_clear_error (&error);

  CU_ASSERT_TRUE (nn_optimizer_validate (good, &error));
  NN_ASSERT_NO_ERROR (error);
}

static void
test_rprop_step_bounds (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnOptimizer) crossed = make_optimizer ("rprop", "step_min=1 step_max=0.5");

  CU_ASSERT_FALSE (nn_optimizer_validate (crossed, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
}

static void
test_defaults_validate (void)
{
  g_auto(GStrv) names = nn_plugins_list (NN_OPTIMIZER_EXTENSION_POINT_NAME);

  CU_ASSERT_TRUE_FATAL (g_strv_length (names) >= 6);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NnOptimizer) optimizer = nn_optimizer_new_by_name (names[i], &error);

      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_PTR_NOT_NULL_FATAL (optimizer);
      CU_ASSERT_TRUE (nn_optimizer_validate (optimizer, &error));
      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_STRING_EQUAL (nn_optimizer_get_name (optimizer), names[i]);
    }
}

/* Saving and restoring state */

typedef struct
{
  const char *name;
  const char *settings; /* settings under which every buffer exists */
  const char *buffers;  /* the keys it saves, space-separated */
} StateCase;

static const StateCase state_cases[] = {
  { "sgd", "learning_rate=0.1 momentum=0.9 nesterov=true", "momentum_buffer" },
  { "adam", "learning_rate=0.1 beta2=0.9 amsgrad=true", "exp_avg exp_avg_sq max_exp_avg_sq" },
  { "adamw", "learning_rate=0.1", "exp_avg exp_avg_sq" },
  { "rmsprop", "centered=true momentum=0.9", "square_avg grad_avg momentum_buffer" },
  { "adagrad", "lr_decay=0.1 initial_accumulator_value=0.1", "sum" },
  { "rprop", "", "prev step_size" },
};

static void
test_state_round_trip (void)
{
  for (gsize c = 0; c < G_N_ELEMENTS (state_cases); c++)
    {
      const StateCase *sc = &state_cases[c];
      g_autoptr(NnOptimizer) first = make_optimizer (sc->name, sc->settings);
      g_autoptr(NnOptimizer) second = make_optimizer (sc->name, sc->settings);
      g_autoptr(GVariant) state = NULL;
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) keys = g_strsplit (sc->buffers, " ", -1);
      g_autoptr(NnMatrix) saved_w = NULL;
      g_autoptr(NnMatrix) saved_b = NULL;
      guint64 iterations = 0;
      Problem a, b;

      problem_init (&a);
      problem_init (&b);
      nn_optimizer_prepare (first, 2, (const NnMatrix **) a.params);
      for (guint k = 0; k < 3; k++)
        problem_step (&a, first, k);
      state = nn_optimizer_save_state (first);
      CU_ASSERT_PTR_NOT_NULL_FATAL (state);
      CU_ASSERT_FALSE (g_variant_is_floating (state));
      CU_ASSERT_STRING_EQUAL (g_variant_get_type_string (state), "a{sv}");
      CU_ASSERT_TRUE (g_variant_lookup (state, "iterations", "t", &iterations));
      CU_ASSERT_EQUAL (iterations, 3);
      for (guint k = 0; keys[k] != NULL; k++)
        {
          g_autoptr(GVariant) buffers = g_variant_lookup_value (state, keys[k],
                                                                 G_VARIANT_TYPE ("a(uuad)"));

          NN_CHECK (buffers != NULL && g_variant_n_children (buffers) == 2,
                    "%s saves '%s' for both parameters", sc->name, keys[k]);
        }
      /* type, iterations and the buffers: nothing more */
      CU_ASSERT_EQUAL (g_variant_n_children (state), 2 + g_strv_length (keys));

      /* A fresh optimizer given the parameters and the state after three
       * steps continues exactly as the original. */
      saved_w = nn_matrix_copy (a.params[0]);
      saved_b = nn_matrix_copy (a.params[1]);
      for (guint k = 3; k < N_STEPS; k++)
        problem_step (&a, first, k);

      nn_matrix_copy_into (saved_w, b.params[0]);
      nn_matrix_copy_into (saved_b, b.params[1]);
      nn_optimizer_prepare (second, 2, (const NnMatrix **) b.params);
      CU_ASSERT_TRUE (nn_optimizer_load_state (second, state, &error));
      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_EQUAL (nn_optimizer_get_iterations (second), 3);
      for (guint k = 3; k < N_STEPS; k++)
        problem_step (&b, second, k);

      for (guint i = 0; i < N_VALUES; i++)
        NN_CHECK (get_value (b.params, i) == get_value (a.params, i),
                  "%s value %u: %.17g after the round trip, %.17g without", sc->name, i,
                  get_value (b.params, i), get_value (a.params, i));
      problem_clear (&a);
      problem_clear (&b);
    }
}

static void
test_state_mismatch (void)
{
  g_autoptr(NnOptimizer) adam = make_optimizer ("adam", "amsgrad=true");
  g_autoptr(NnOptimizer) plain_adam = make_optimizer ("adam", "");
  g_autoptr(NnOptimizer) sgd = make_optimizer ("sgd", "momentum=0.9");
  g_autoptr(NnOptimizer) small = make_optimizer ("adam", "amsgrad=true");
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GVariant) before = NULL;
  g_autoptr(GVariant) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnMatrix) other = nn_matrix_new (3, 2);
  const NnMatrix *other_params[2];
  Problem         problem;

  problem_init (&problem);
  nn_optimizer_prepare (adam, 2, (const NnMatrix **) problem.params);
  nn_optimizer_prepare (plain_adam, 2, (const NnMatrix **) problem.params);
  nn_optimizer_prepare (sgd, 2, (const NnMatrix **) problem.params);
  problem_step (&problem, adam, 0);
  state = nn_optimizer_save_state (adam);

  /* Another type */
  CU_ASSERT_FALSE (nn_optimizer_load_state (sgd, state, &error));
  CU_ASSERT_PTR_NOT_NULL (error);
  g_clear_error (&error);

  /* The same type without the AMSGrad buffer */
  CU_ASSERT_FALSE (nn_optimizer_load_state (plain_adam, state, &error));
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "max_exp_avg_sq"));
  g_clear_error (&error);

  /* Other parameter shapes: refused, and nothing changes. */
  other_params[0] = other;
  other_params[1] = problem.params[1];
  nn_optimizer_prepare (small, 2, other_params);
  before = nn_optimizer_save_state (small);
  CU_ASSERT_FALSE (nn_optimizer_load_state (small, state, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH);
  g_clear_error (&error);
  after = nn_optimizer_save_state (small);
  CU_ASSERT_TRUE (g_variant_equal (before, after));

  /* Not a dictionary */
  {
    g_autoptr(GVariant) number = g_variant_ref_sink (g_variant_new_uint64 (3));

    CU_ASSERT_FALSE (nn_optimizer_load_state (adam, number, &error));
    CU_ASSERT_PTR_NOT_NULL (error);
    g_clear_error (&error);
  }
  problem_clear (&problem);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("optimizer steps match torch.optim", nn_test_init_plugins, NULL);
  CU_add_test (suite, "sgd matches torch.optim.SGD", test_sgd);
  CU_add_test (suite, "sgd with momentum 0.9 matches torch.optim.SGD", test_sgd_momentum);
  CU_add_test (suite, "sgd with momentum and dampening matches torch.optim.SGD",
               test_sgd_dampening);
  CU_add_test (suite, "sgd with Nesterov momentum matches torch.optim.SGD", test_sgd_nesterov);
  CU_add_test (suite, "sgd with weight decay matches torch.optim.SGD", test_sgd_weight_decay);
  CU_add_test (suite, "adam with its defaults matches torch.optim.Adam", test_adam);
  CU_add_test (suite, "adam with amsgrad and weight decay matches torch.optim.Adam",
               test_adam_amsgrad);
  CU_add_test (suite, "adamw with its defaults matches torch.optim.AdamW", test_adamw);
  CU_add_test (suite, "adamw with other betas, epsilon and decay matches torch.optim.AdamW",
               test_adamw_options);
  CU_add_test (suite, "rmsprop with its defaults matches torch.optim.RMSprop", test_rmsprop);
  CU_add_test (suite, "centered rmsprop with momentum and weight decay matches torch.optim.RMSprop",
               test_rmsprop_centered);
  CU_add_test (suite, "adagrad with its defaults matches torch.optim.Adagrad", test_adagrad);
  CU_add_test (suite, "adagrad with lr_decay, an initial accumulator and weight decay "
                      "matches torch.optim.Adagrad",
               test_adagrad_options);
  CU_add_test (suite, "rprop with its defaults matches torch.optim.Rprop", test_rprop);
  CU_add_test (suite, "rprop with other etas and clamped step sizes matches torch.optim.Rprop",
               test_rprop_options);

  suite = CU_add_suite ("optimizer properties", nn_test_init_plugins, NULL);
  CU_add_test (suite, "every default equals PyTorch's", test_defaults);
  CU_add_test (suite, "every optimizer lists one learning_rate and a description",
               test_learning_rate_listed_once);
  CU_add_test (suite, "adam's own learning-rate property drives the base class's rate",
               test_learning_rate_setter);
  CU_add_test (suite, "out-of-range values are rejected by their param specs", test_ranges);
  CU_add_test (suite, "nesterov without momentum or with dampening fails validation",
               test_nesterov_needs_momentum);
  CU_add_test (suite, "rprop with step_min above step_max fails validation",
               test_rprop_step_bounds);
  CU_add_test (suite, "every optimizer validates with its defaults", test_defaults_validate);

  suite = CU_add_suite ("optimizer state", nn_test_init_plugins, NULL);
  CU_add_test (suite, "a saved state continues exactly as the original optimizer",
               test_state_round_trip);
  CU_add_test (suite, "a state of another type, configuration or shape is refused unchanged",
               test_state_mismatch);

  return nn_test_run ();
}
