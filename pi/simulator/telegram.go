package simulator

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"iotahome/pi/dsmr"
)

// Telegram advances the clock one step and returns the clean telegram for
// it, as the meter would send it.
func (m *Meter) Telegram() []byte {
	m.advance()
	var b bytes.Buffer
	switch m.cfg.Kind {
	case DSMR22:
		m.writeDSMR22(&b)
	case BE:
		m.writeBE(&b)
	default:
		m.writeDSMR5(&b)
	}
	return b.Bytes()
}

// stamp formats YYMMDDhhmmssX with X = S in summer time, W in winter time.
func stamp(t time.Time) string {
	flag := 'W'
	if t.IsDST() {
		flag = 'S'
	}
	return fmt.Sprintf("%s%c", t.Format("060102150405"), flag)
}

func hexID(s string) string { return hex.EncodeToString([]byte(s)) }

// line writes one line with CRLF, as meters do.
func line(b *bytes.Buffer, format string, args ...any) {
	fmt.Fprintf(b, format, args...)
	b.WriteString("\r\n")
}

// end writes the '!' line with the CRC over everything before it.
func end(b *bytes.Buffer) {
	b.WriteByte('!')
	fmt.Fprintf(b, "%04X\r\n", dsmr.CRC16(b.Bytes()))
}

func (m *Meter) phaseValues(i int) (delivered, returned float64) {
	return math.Max(0, m.phaseKW[i]), math.Max(0, -m.phaseKW[i])
}

func (m *Meter) writeDSMR5(b *bytes.Buffer) {
	line(b, `/Ene5\T210-D ESMR5.0`)
	line(b, "")
	line(b, "1-3:0.2.8(50)")
	line(b, "0-0:1.0.0(%s)", stamp(m.now))
	line(b, "0-0:96.1.1(%s)", hexID(m.ids[0]))
	m.writeRegisters(b, "%010.3f")
	line(b, "0-0:96.14.0(%04d)", m.tariff())
	line(b, "1-0:1.7.0(%06.3f*kW)", math.Max(0, m.netKW))
	line(b, "1-0:2.7.0(%06.3f*kW)", math.Max(0, -m.netKW))
	line(b, "0-0:96.7.21(00004)")
	line(b, "0-0:96.7.9(00002)")
	fail1 := time.Date(2023, 3, 4, 12, 2, 27, 0, m.loc)
	fail2 := time.Date(2024, 8, 19, 3, 40, 11, 0, m.loc)
	line(b, "1-0:99.97.0(2)(0-0:96.7.19)(%s)(0000000240*s)(%s)(0000004211*s)", stamp(fail1), stamp(fail2))
	line(b, "1-0:32.32.0(00002)")
	line(b, "1-0:52.32.0(00001)")
	line(b, "1-0:72.32.0(00000)")
	line(b, "1-0:32.36.0(00000)")
	line(b, "1-0:52.36.0(00003)")
	line(b, "1-0:72.36.0(00000)")
	line(b, "0-0:96.13.0()")
	for i, c := range []string{"32", "52", "72"} {
		line(b, "1-0:%s.7.0(%05.1f*V)", c, m.volt[i])
	}
	for i, c := range []string{"31", "51", "71"} {
		line(b, "1-0:%s.7.0(%03.0f*A)", c, math.Round(math.Abs(m.phaseKW[i])*1000/m.volt[i]))
	}
	for i, c := range []string{"21", "41", "61"} {
		d, _ := m.phaseValues(i)
		line(b, "1-0:%s.7.0(%06.3f*kW)", c, d)
	}
	for i, c := range []string{"22", "42", "62"} {
		_, r := m.phaseValues(i)
		line(b, "1-0:%s.7.0(%06.3f*kW)", c, r)
	}
	line(b, "0-1:24.1.0(003)")
	line(b, "0-1:96.1.0(%s)", hexID(m.ids[1]))
	line(b, "0-1:24.2.1(%s)(%09.3f*m3)", stamp(m.gasAt), m.gasShown)
	end(b)
}

func (m *Meter) writeRegisters(b *bytes.Buffer, format string) {
	line(b, "1-0:1.8.1("+format+"*kWh)", m.delivered[0])
	line(b, "1-0:1.8.2("+format+"*kWh)", m.delivered[1])
	line(b, "1-0:2.8.1("+format+"*kWh)", m.returned[0])
	line(b, "1-0:2.8.2("+format+"*kWh)", m.returned[1])
}

// writeDSMR22 writes a DSMR 2.2 telegram: no timestamp, no phases, gas
// hourly over two lines, no CRC.
func (m *Meter) writeDSMR22(b *bytes.Buffer) {
	line(b, `/ISk5\2MT382-1004`)
	line(b, "")
	line(b, "0-0:96.1.1(%s)", hexID(m.ids[0][:14]))
	m.writeRegisters(b, "%09.3f")
	line(b, "0-0:96.14.0(%04d)", m.tariff())
	line(b, "1-0:1.7.0(%07.2f*kW)", math.Max(0, m.netKW))
	line(b, "1-0:2.7.0(%07.2f*kW)", math.Max(0, -m.netKW))
	line(b, "0-0:17.0.0(0999.00*kW)")
	line(b, "0-0:96.3.10(1)")
	line(b, "0-0:96.13.1()")
	line(b, "0-0:96.13.0()")
	line(b, "0-1:24.1.0(3)")
	line(b, "0-1:96.1.0(%s)", hexID(m.ids[1][:14]))
	line(b, "0-1:24.3.0(%s)(00)(60)(1)(0-1:24.2.1)(m3)", m.gasAt.Format("060102150405"))
	line(b, "(%09.3f)", m.gasShown)
	line(b, "0-1:24.4.0(1)")
	b.WriteString("!\r\n")
}

// writeBE writes a Belgian e-MUCS telegram of a three-phase meter with
// demand and month peak, gas on 24.2.3 and a water meter on channel 2.
func (m *Meter) writeBE(b *bytes.Buffer) {
	line(b, `/FLU5\253769484_A`)
	line(b, "")
	line(b, "0-0:96.1.4(50217)")
	line(b, "0-0:96.1.1(%s)", hexID(m.ids[0]))
	line(b, "0-0:1.0.0(%s)", stamp(m.now))
	m.writeRegisters(b, "%010.3f")
	line(b, "0-0:96.14.0(%04d)", m.tariff())
	line(b, "1-0:1.4.0(%06.3f*kW)", m.averageDemand())
	peakAt := m.monthPeakAt
	if peakAt.IsZero() {
		peakAt = m.quarterStart
	}
	line(b, "1-0:1.6.0(%s)(%06.3f*kW)", stamp(peakAt), m.monthPeak)
	fmt.Fprintf(b, "0-0:98.1.0(%d)(1-0:1.6.0)(1-0:1.6.0)", len(m.peakHistory))
	for _, p := range m.peakHistory {
		fmt.Fprintf(b, "(%s)(%s)(%06.3f*kW)", stamp(p.month), stamp(p.at), p.kw)
	}
	if len(m.peakHistory) == 0 {
		b.WriteString("()")
	}
	b.WriteString("\r\n")
	line(b, "1-0:1.7.0(%06.3f*kW)", math.Max(0, m.netKW))
	line(b, "1-0:2.7.0(%06.3f*kW)", math.Max(0, -m.netKW))
	for i, c := range []string{"21", "41", "61"} {
		d, _ := m.phaseValues(i)
		line(b, "1-0:%s.7.0(%06.3f*kW)", c, d)
	}
	for i, c := range []string{"22", "42", "62"} {
		_, r := m.phaseValues(i)
		line(b, "1-0:%s.7.0(%06.3f*kW)", c, r)
	}
	for i, c := range []string{"32", "52", "72"} {
		line(b, "1-0:%s.7.0(%05.1f*V)", c, m.volt[i])
	}
	for i, c := range []string{"31", "51", "71"} {
		line(b, "1-0:%s.7.0(%06.2f*A)", c, math.Abs(m.phaseKW[i])*1000/m.volt[i])
	}
	line(b, "0-0:96.3.10(1)")
	line(b, "0-0:17.0.0(999.9*kW)")
	line(b, "1-0:31.4.0(999*A)")
	line(b, "0-0:96.13.0()")
	line(b, "0-1:24.1.0(003)")
	line(b, "0-1:96.1.1(%s)", hexID(m.ids[1]))
	line(b, "0-1:24.4.0(1)")
	line(b, "0-1:24.2.3(%s)(%09.3f*m3)", stamp(m.gasAt), m.gasShown)
	line(b, "0-2:24.1.0(007)")
	line(b, "0-2:96.1.1(%s)", hexID(m.ids[2]))
	line(b, "0-2:24.2.1(%s)(%09.3f*m3)", stamp(m.gasAt), m.waterShow)
	end(b)
}
