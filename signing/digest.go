package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// SHA256 is the hex SHA-256 of the input's canonical JSON, after defaults.
// encoding/json writes struct fields in declaration order and map keys
// sorted, so equal inputs hash equally in every process running this code.
// A retried start and the Send activity's marker compare inputs by it. The
// JSON did not change when the workflow's own fields left Input: they were
// empty, and omitted, in every input a caller started, so digests recorded
// in memos and send markers still match (TestInputSHA256IsStable).
func (in Input) SHA256() string {
	in = in.WithDefaults()
	raw, err := json.Marshal(in)
	if err != nil {
		// Input is plain data; Marshal cannot fail on it.
		panic(fmt.Sprintf("signing: marshal input: %v", err))
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
