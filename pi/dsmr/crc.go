package dsmr

// crcTable is CRC-16/ARC (polynomial 0x8005 reflected = 0xA001, initial
// value 0, no final xor), the checksum DSMR 4 and later put after the '!'.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA001
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 returns the CRC-16/ARC of data. For a telegram, data is every byte
// from the leading '/' up to and including the '!'.
func CRC16(data []byte) uint16 {
	var c uint16
	for _, b := range data {
		c = c>>8 ^ crcTable[byte(c)^b]
	}
	return c
}
