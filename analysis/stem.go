package analysis

import (
	"strings"
	"unicode/utf8"
)

// Stem returns the stem of norm, a word already passed through Normalize.
// It is a light stemmer in the spirit of Larkey's Light10: it strips
// affixes, never rewrites roots, so most stems are a substring of norm and
// cost no allocation.
//
// Arabic words lose, in this order:
//  1. one prefix: a definite article with its proclitic (وال بال كال فال
//     ولل لل ال), or else a lone conjunction و or ف, but only when the rest
//     is not a word that merely begins with that letter (وزير, وقت, فريق,
//     فلسطين...; see rootInitial);
//  2. one pronoun suffix: هما هم هن ها نا; a feminine ت left bare by it
//     (مدرستها) goes too;
//  3. one plural, dual or adjectival suffix: تين تان ات ون ين يه, and ان
//     (kept to longer words, as many nouns and names end in ان: لبنان،
//     ايران، اعلان);
//  4. a final ه (which is also ة after normalisation), the ا of a final
//     يا (سوريا → سوري), then a final ي (twice, for a nisba ي after a
//     stem ending in ي).
//
// Every step needs at least three letters to remain; a few frequent names
// and nouns that the rules would maul (بوتين، قانون، مليون...) are left as
// they are once the prefix is gone. English words (ASCII letters) get
// Harman's S-stemmer, which only undoes plurals (policies → policy, cars →
// car): suffixes like -ing and -ed cannot be removed reliably without a
// dictionary. Other words are returned unchanged.
func Stem(norm string) string {
	switch {
	case isArabicWord(norm):
		return stemArabic(norm)
	case isASCIIWord(norm):
		return stemEnglish(norm)
	}
	return norm
}

// minStem is the fewest letters a strip may leave: Arabic roots have
// three. minStemForAn is stricter because ان ends so many singular nouns.
const (
	minStem      = 3
	minStemForAn = 4
)

var (
	articles       = []string{"وال", "بال", "كال", "فال", "ولل", "لل", "ال"}
	pronounSuffix  = []string{"هما", "هم", "هن", "ها", "نا"}
	pluralSuffix   = []string{"تين", "تان", "ات", "ون", "ين", "يه", "ان"}
	conjunctions   = []string{"و", "ف"}
	protectedStems = setOf(`فلسطين بحرين بوتين برلين كرملين تشرين اثنين
		قانون مليون كانون ماكرون تلفزيون امارات برلمان مهرجان كورونا
		الله`)
)

// rootInitial lists the beginnings of frequent news words whose first
// letter و or ف is part of the word, not a conjunction. Matching is by
// prefix, so وزير covers وزيره and وزيرا.
var rootInitial = normFields(`
	وزير وزار وزرا وكال ولاي وطن وقت وسط وصل وصو وضع وجود وجه وفد وفو وفا
	وفق وقف وقع وقو ولد وثيق وثائق وحد وعد وعو وصف ورد ورق وفر وجب وسيل
	وسائل ولي وزن وقود وكيل واقع والد واسع وباء ورش واشنطن وادي
	فلسطين فرنس فريق فرق فصائل فصيل فرص فيلم فتر فقط فوز فعل فكر فرد فضل
	فتح فيديو فندق فصل فائز فوق فساد فقر فنان فيروس فيسبوك فنزويل فنلند
	فلبين فيه فرع فروع فضاء فاعل فوضي فشل فتاه فتي فرض فحص فقد فهم فاتور
	فائد فيضان فريض`)

// rootInitialExact lists whole words of the same kind where a prefix
// would catch too much (واحد would also match واحداث, "and events").
var rootInitialExact = setOf(`واحد واحده وحيد`)

// setOf builds a set from space-separated words, normalised so that the
// lists can be written in ordinary spelling.
func setOf(words string) map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range normFields(words) {
		m[w] = struct{}{}
	}
	return m
}

// normFields splits words at spaces and normalises each.
func normFields(words string) []string {
	f := strings.Fields(words)
	for i, w := range f {
		f[i] = Normalize(w)
	}
	return f
}

func stemArabic(w string) string {
	n := utf8.RuneCountInString(w)
	prefixed := false
	for _, p := range articles {
		if strings.HasPrefix(w, p) && n-utf8.RuneCountInString(p) >= minStem {
			w = w[len(p):]
			n -= utf8.RuneCountInString(p)
			prefixed = true
			break
		}
	}
	if !prefixed && n-1 >= minStem && !isRootInitial(w) {
		for _, p := range conjunctions {
			if strings.HasPrefix(w, p) {
				w = w[len(p):]
				n--
				break
			}
		}
	}
	if _, ok := protectedStems[w]; ok {
		return w
	}
	if s, k := stripSuffix(w, n, pronounSuffix, minStem); k > 0 {
		w, n = s, n-k
		if !strings.HasSuffix(w, "ات") {
			if s, k := stripSuffix(w, n, []string{"ت"}, minStem); k > 0 {
				w, n = s, n-k
			}
		}
	}
	for _, suf := range pluralSuffix {
		min := minStem
		if suf == "ان" {
			min = minStemForAn
		}
		if s, k := stripSuffix(w, n, []string{suf}, min); k > 0 {
			w, n = s, n-k
			break
		}
	}
	if s, k := stripSuffix(w, n, []string{"ه"}, minStem); k > 0 {
		w, n = s, n-k
	}
	// Country names are written both ways: سوريا and سورية (→ سوري once
	// ه is gone), روسيا and روسي. Dropping the ا of a final يا makes both
	// spellings, and the adjective, meet at the same stem.
	if s, k := stripSuffix(w, n, []string{"يا"}, minStem); k > 0 {
		w, n = s+"ي", n-1
	}
	// Twice, for the nisba on a stem ending in ي: كيميائي is كيمياي + ي.
	for range 2 {
		if s, k := stripSuffix(w, n, []string{"ي"}, minStem); k > 0 {
			w, n = s, n-k
		}
	}
	return w
}

// stripSuffix removes the first of sufs that w (n runes) ends with, if at
// least min runes remain, and reports how many runes it removed.
func stripSuffix(w string, n int, sufs []string, min int) (string, int) {
	for _, s := range sufs {
		k := utf8.RuneCountInString(s)
		if strings.HasSuffix(w, s) && n-k >= min {
			return w[:len(w)-len(s)], k
		}
	}
	return w, 0
}

func isRootInitial(w string) bool {
	if _, ok := rootInitialExact[w]; ok {
		return true
	}
	for _, p := range rootInitial {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// singularS lists English words whose final s is not a plural.
var singularS = setOf(`news series species means physics politics crisis`)

// stemEnglish is Harman's S-stemmer; words under four letters are left
// alone (gas, bus, its).
func stemEnglish(w string) string {
	if _, ok := singularS[w]; ok || len(w) < 4 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && !strings.HasSuffix(w, "eies") && !strings.HasSuffix(w, "aies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "aes") && !strings.HasSuffix(w, "ees") && !strings.HasSuffix(w, "oes"):
		return w[:len(w)-1]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}
