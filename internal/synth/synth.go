// Package synth generates seeded synthetic corpora for benchmarks: Arabic
// news-like text from a fixed vocabulary and random unit vectors, so that
// runs on different days and machines measure the same data.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/sanadhq/sanad"
)

// vocabulary is a few hundred words of Arabic news prose; sentences drawn
// from it have realistic word lengths, affixes and stopword rates.
var vocabulary = strings.Fields(`
الحكومة أعلنت اليوم خطة جديدة لدعم المزارعين في المناطق الريفية وقال الوزير إن المشروع يشمل بناء سدود ومحطات ضخ
وتوزيع بذور محسنة على الأسر الفقيرة وأكد مسؤولون أن التمويل يأتي من صندوق التنمية الوطني والبنك الدولي
الرئيس استقبل وفدا رفيع المستوى لبحث العلاقات الثنائية والتعاون الاقتصادي بين البلدين في مجالات الطاقة والتجارة
أفادت مصادر محلية بأن الاشتباكات اندلعت في ساعات الفجر بين القوات الحكومية ومسلحين في ريف المحافظة الشمالي
ارتفعت أسعار النفط في الأسواق العالمية بعد قرار منظمة أوبك خفض الإنتاج لدعم الأسعار خلال الربع المقبل
قالت وزارة الصحة إن حملة التطعيم الوطنية ستشمل ملايين الأطفال في المدارس والمراكز الصحية بكل المحافظات
أعلن الاتحاد الأوروبي عن حزمة مساعدات إنسانية جديدة للاجئين والنازحين في دول الجوار بقيمة مئات الملايين
يواصل المنتخب الوطني استعداداته لبطولة كأس الأمم بمعسكر تدريبي في العاصمة بمشاركة لاعبين محترفين
شهدت العاصمة مظاهرات واسعة احتجاجا على ارتفاع الأسعار وتراجع الخدمات العامة وطالب المحتجون بإصلاحات
البرلمان يناقش مشروع قانون الانتخابات الجديد وسط خلافات بين الكتل السياسية حول توزيع الدوائر والمقاعد
كشف تقرير للأمم المتحدة عن تزايد معدلات الفقر والبطالة بين الشباب في المنطقة العربية خلال العقد الأخير
افتتح محافظ المدينة معرض الكتاب الدولي بمشاركة مئات دور النشر العربية والأجنبية وندوات ثقافية وأمسيات شعرية
حذرت الأرصاد الجوية من موجة حر شديدة تضرب البلاد مع درجات حرارة تتجاوز المعدلات الموسمية بعدة درجات
وقعت الشركة اتفاقية مع وزارة الكهرباء لإنشاء محطة طاقة شمسية بقدرة مئتي ميغاواط في الصحراء الجنوبية
أكد المتحدث باسم الجيش أن القوات تمكنت من السيطرة على مواقع استراتيجية بعد معارك عنيفة استمرت أياما
بحث وزير الخارجية مع نظيره التطورات الإقليمية وسبل التوصل إلى حل سياسي للأزمة ووقف إطلاق النار
ذكرت وكالة الأنباء الرسمية أن مجلس الوزراء وافق على الموازنة العامة للدولة للعام المالي المقبل بعجز محدود
تراجعت قيمة العملة المحلية أمام الدولار في السوق الموازية مع تزايد الطلب على العملات الأجنبية والذهب
`)

// Text returns about n characters of news-like Arabic prose: sentences of
// 8 to 20 words ending in full stops, in paragraphs.
func Text(rng *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n * 2)
	chars := 0
	for chars < n {
		words := 8 + rng.IntN(13)
		for i := range words {
			w := vocabulary[rng.IntN(len(vocabulary))]
			if i > 0 {
				b.WriteByte(' ')
				chars++
			}
			b.WriteString(w)
			chars += len([]rune(w))
		}
		b.WriteString(".")
		chars++
		if rng.IntN(4) == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
		chars++
	}
	return strings.TrimSpace(b.String())
}

// Vector returns a random unit vector of the given dimensions.
func Vector(rng *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	var sum float64
	for i := range v {
		x := rng.NormFloat64()
		v[i] = float32(x)
		sum += x * x
	}
	inv := 1 / math.Sqrt(sum)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return v
}

// Article returns the i-th article of a corpus, the same for the same seed.
func Article(seed uint64, i, chars int) sanad.Article {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	text := Text(rng, chars)
	id := fmt.Sprintf("synth/%07d.txt", i)
	return sanad.Article{ID: id, Title: fmt.Sprintf("خبر رقم %d", i), Source: id, Text: text, Hash: fmt.Sprintf("%d-%d", seed, i)}
}
