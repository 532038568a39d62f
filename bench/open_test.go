package bench

import (
	"testing"

	"github.com/philippgille/chromem-go"

	"github.com/sanadhq/sanad/store"
)

// BenchmarkOpen measures loading the index from disk in one process: the
// part of a cold search that the index format decides.
func BenchmarkOpen(b *testing.B) {
	b.Run("sanad", func(b *testing.B) {
		dir := sanadFixture(b)
		b.ResetTimer()
		for range b.N {
			st, err := store.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			if st.Len() != size() {
				b.Fatalf("%d articles", st.Len())
			}
		}
	})
	b.Run("chromem", func(b *testing.B) {
		dir := chromemFixture(b)
		lost := 0
		b.ResetTimer()
		for range b.N {
			db, err := chromem.NewPersistentDB(dir, false)
			if err != nil {
				b.Fatal(err)
			}
			// Its file names are 32-bit hashes of the IDs: colliding
			// documents overwrite each other and are missing on reload.
			lost = size() - db.GetCollection("chunks", nil).Count()
		}
		b.ReportMetric(float64(lost), "documents-lost")
	})
}
