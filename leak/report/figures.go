package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"
)

// Default sizes of leak_by_identity.png, as the study's Fig. 4 has them:
// the 30 most leaked people and 7 drawn at random from the less leaked.
const (
	DefaultTop    = 30
	DefaultRandom = 7
)

// ShownIdentity is one person in leak_by_identity.png.
type ShownIdentity struct {
	IdentityRow
	// Drawn is true for a person drawn at random from those below the top.
	Drawn bool
}

// PickIdentities returns the people of the study's Fig. 4 from rows (sorted
// as Identities sorts them): the top most leaked, then random people drawn
// from the rest, each group in rows' order. All are returned when there are
// no more than top + random.
//
// The draw depends only on seed and the people's names: each of the rest is
// given the SHA-256 of (seed, name), and the random ones with the smallest
// are drawn. The same results and seed draw the same people whatever the
// order of the results file.
func PickIdentities(rows []IdentityRow, top, random int, seed int64) []ShownIdentity {
	top, random = max(top, 0), max(random, 0)
	out := make([]ShownIdentity, 0, min(len(rows), top+random))
	if len(rows) <= top+random {
		for _, r := range rows {
			out = append(out, ShownIdentity{IdentityRow: r})
		}
		return out
	}
	for _, r := range rows[:top] {
		out = append(out, ShownIdentity{IdentityRow: r})
	}
	rest := rows[top:]
	type keyed struct {
		key [sha256.Size]byte
		i   int
	}
	keys := make([]keyed, len(rest))
	var buf []byte
	for i, r := range rest {
		buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(seed))
		buf = append(buf, r.Name...)
		keys[i] = keyed{sha256.Sum256(buf), i}
	}
	slices.SortFunc(keys, func(a, b keyed) int {
		if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		return a.i - b.i
	})
	drawn := make([]int, random)
	for k := range drawn {
		drawn[k] = keys[k].i
	}
	slices.Sort(drawn)
	for _, i := range drawn {
		out = append(out, ShownIdentity{IdentityRow: rest[i], Drawn: true})
	}
	return out
}

// shownCSV is leak_by_identity.png's data: the people shown, top to bottom.
func shownCSV(rows []ShownIdentity) []byte {
	var out [][]string
	for _, r := range rows {
		group := "top"
		if r.Drawn {
			group = "drawn"
		}
		lo, hi := r.Wilson()
		out = append(out, []string{r.Name, group, strconv.Itoa(r.Leaks), strconv.Itoa(r.Scored), csvNum(r.Rate()), csvNum(lo), csvNum(hi)})
	}
	return writeCSV([]string{"name", "group", "leaks", "scored", "rate", "wilson_low", "wilson_high"}, out)
}

// distributionWidth is the bin width, in percentage points, of
// leak_distribution.png.
const distributionWidth = 5

// DistributionBin is one bar of leak_distribution.png: the people whose
// rate is in [Low, High), the last bin including 100.
type DistributionBin struct {
	Low, High float64
	People    int
}

// Distribution bins per-person rates in 5-point bins from 0 to 100.
func Distribution(rows []IdentityRow) []DistributionBin {
	bins := make([]DistributionBin, 100/distributionWidth)
	for i := range bins {
		bins[i] = DistributionBin{Low: float64(i * distributionWidth), High: float64((i + 1) * distributionWidth)}
	}
	for _, r := range rows {
		bins[min(int(r.Rate()/distributionWidth), len(bins)-1)].People++
	}
	return bins
}

func distributionCSV(bins []DistributionBin) []byte {
	var out [][]string
	for _, b := range bins {
		out = append(out, []string{strconv.FormatFloat(b.Low, 'f', -1, 64), strconv.FormatFloat(b.High, 'f', -1, 64), strconv.Itoa(b.People)})
	}
	return writeCSV([]string{"rate_low", "rate_high", "people"}, out)
}

func frequencyCSV(pts []FrequencyPoint) []byte {
	var out [][]string
	for _, p := range pts {
		out = append(out, []string{p.Name, strconv.FormatFloat(p.Count, 'f', -1, 64), strconv.Itoa(p.Leaks), strconv.Itoa(p.Scored), csvNum(p.Rate)})
	}
	return writeCSV([]string{"name", "count", "leaks", "scored", "rate"}, out)
}
