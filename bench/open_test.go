package bench

import (
	"context"
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
		b.ResetTimer()
		for range b.N {
			db, err := chromem.NewPersistentDB(dir, false)
			if err != nil {
				b.Fatal(err)
			}
			if n := db.GetCollection("chunks", nil).Count(); n < size()-1 {
				b.Fatalf("%d documents", n)
			}
			_ = context.Background()
		}
	})
}
