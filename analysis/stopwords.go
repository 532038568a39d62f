package analysis

import "strings"

// IsStopword reports whether norm, a normalised word (see Normalize), is a
// stopword: a function word that carries no topic. The list covers Arabic
// particles, prepositions, conjunctions, pronouns, demonstratives,
// relatives, auxiliaries (كان، ليس) and their most frequent clitic forms
// (وفي، عليه، منها), plus common English function words, because news
// corpora mix the two languages.
//
// Content words that are merely frequent in news are deliberately not
// stopwords: verbs of saying (قال، أكد، أعلن), dates and days (أمس،
// اليوم), numbers and titles (رئيس، وزير) all help pin a passage down. One
// known cost of normalising ى to ي: على becomes علي and so the name Ali is
// dropped too; على is far more frequent, so the list keeps it. English
// "us" and "may" are kept out of the list: case folding makes them "US"
// and "May" as well.
func IsStopword(norm string) bool {
	_, ok := stopwords[norm]
	return ok
}

// stopwords holds the normalised list; the source below is written the
// way people spell the words, and normalised at init so the two can never
// disagree.
var stopwords = func() map[string]struct{} {
	m := make(map[string]struct{}, 512)
	for _, src := range []string{arabicStopwords, englishStopwords} {
		for _, w := range strings.Fields(src) {
			m[Normalize(w)] = struct{}{}
		}
	}
	return m
}()

const arabicStopwords = `
في من إلى على عن مع حتى منذ مذ عند لدى لدي بين خلال حول دون ضد نحو عبر
بعد قبل تحت فوق أمام وراء خلف عبر إزاء لدن سوى غير بدون ضمن عدا خلا
و ف ثم أو أم بل لكن لكنّ لاكن حيث إذ إذا إذن أن إن أنّ إنّ كأن كأنّ لأن لأنّ كي
لكي لو لولا لوما ليت لعل كلا بلى نعم أجل
هو هي هم هن هما أنا نحن أنت أنتِ أنتم أنتن أنتما إياه إياها إياهم إياك إياي
هذا هذه هذان هاتان هذين هاتين ذلك ذاك تلك هؤلاء أولئك أولائك هنا هناك هنالك ثمة
الذي التي الذين اللذين اللذان اللتان اللتين اللواتي اللاتي اللائي ما ماذا
متى أين كيف كم لماذا هل أي أية
قد لقد لم لما لن لا ليس ليست ليسوا سوف س كل كلّ بعض جميع كافة أيضا أيضاً
كما مثل إلا ألا أما إما
كان كانت كانوا يكون تكون يكونوا أصبح أصبحت ظل ظلت صار صارت مازال ما زال
يزال تزال مايزال
به بها بهم بهن بهما له لها لهم لهن لهما منه منها منهم منهما عنه عنها عنهم
عليه عليها عليهم إليه إليها إليهم فيه فيها فيهم معه معها معهم لديه لديها لديهم
بينهم بينهما عندما عنده عندها حين حينما بينما كلما طالما ريثما
وفي ومن وإلى وعلى وعن ومع وقد ولم ولن ولا وهو وهي وهم وهذا وهذه وذلك وتلك
وأن وإن وكان وكانت وما وأما وإذا ولكن وحتى وبعد وقبل وبين وكل وكما وأيضا
فإن فقد فلا فما فهو فهي وأو ولدى
لكنه لكنها لأنه لأنها إنه إنها أنه أنها أنهم إنهم وأنه وأنها وإنه
بهذا بهذه لهذا لهذه بذلك لذلك كذلك ذلكم هكذا عندئذ حينئذ آنذاك
`

const englishStopwords = `
a an the and or but nor not no so if then than too very
of to in on at by for with from into onto over under about above below
up down out off again further once here there when where why how
all any both each few more most other some such only own same
is are was were be been being am has have had having do does did doing
will would shall should can could might must
it its itself this that these those
i me my myself we our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself they them their theirs themselves
what which who whom whose while during before after between through
against until because as per via
s t d ll m re ve don doesn didn isn aren wasn weren hasn haven hadn wouldn
`
