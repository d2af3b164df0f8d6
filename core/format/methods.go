package format

import (
	"encoding/json"
	"reflect"
	"time"
)

// Methods is the table of methods templates may call, by receiver type and name. Each entry
// is a method expression ((*T).Name or T.Name), whose first parameter is the receiver.
// Listing them here, instead of finding them with reflect's MethodByName, is what keeps the
// linker from keeping every exported method of every type in the program.
type Methods struct {
	m map[methodKey]reflect.Value
}

type methodKey struct {
	recv reflect.Type
	name string
}

// NewMethods returns an empty table.
func NewMethods() *Methods { return &Methods{m: map[methodKey]reflect.Value{}} }

// Add lists fn (a method expression) under name for its receiver type and returns m.
// It panics when fn is not a function with a receiver parameter: a table is written by hand.
func (m *Methods) Add(name string, fn any) *Methods {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.Type().NumIn() == 0 {
		panic("format: Methods.Add(" + name + "): not a method expression")
	}
	m.m[methodKey{v.Type().In(0), name}] = v
	return m
}

// Merge adds every entry of other to m and returns m.
func (m *Methods) Merge(other *Methods) *Methods {
	for k, v := range other.m {
		m.m[k] = v
	}
	return m
}

// Names lists the method names registered for the receiver type t (tests compare them with
// the type's real method set).
func (m *Methods) Names(t reflect.Type) []string {
	var out []string
	for k := range m.m {
		if k.recv == t {
			out = append(out, k.name)
		}
	}
	return out
}

// lookup finds name for the value v (a *T when the data was addressable): methods of *T,
// then of T. It returns the function and the receiver to pass it.
func (m *Methods) lookup(v reflect.Value, name string) (fn, recv reflect.Value, ok bool) {
	if m == nil || !v.IsValid() {
		return
	}
	t := v.Type()
	if f, found := m.m[methodKey{t, name}]; found {
		return f, v, true
	}
	if t.Kind() == reflect.Pointer {
		if f, found := m.m[methodKey{t.Elem(), name}]; found {
			if v.IsNil() {
				// text/template would call the value method through a nil pointer and
				// report the runtime error; say the same thing plainly
				return f, reflect.Value{}, true
			}
			return f, v.Elem(), true
		}
	}
	return
}

// StdMethods are the methods of the standard library types found in docker's inspect
// documents (time.Time, time.Duration, json.Number, json.RawMessage) that a template can
// call: those with at most one result besides an error.
var StdMethods = NewMethods().
	// time.Time
	Add("After", time.Time.After).
	Add("AppendFormat", time.Time.AppendFormat).
	Add("Before", time.Time.Before).
	Add("Compare", time.Time.Compare).
	Add("Day", time.Time.Day).
	Add("Equal", time.Time.Equal).
	Add("Format", time.Time.Format).
	Add("GoString", time.Time.GoString).
	Add("Hour", time.Time.Hour).
	Add("IsDST", time.Time.IsDST).
	Add("IsZero", time.Time.IsZero).
	Add("Local", time.Time.Local).
	Add("MarshalBinary", time.Time.MarshalBinary).
	Add("MarshalJSON", time.Time.MarshalJSON).
	Add("MarshalText", time.Time.MarshalText).
	Add("Minute", time.Time.Minute).
	Add("Month", time.Time.Month).
	Add("Nanosecond", time.Time.Nanosecond).
	Add("Round", time.Time.Round).
	Add("Second", time.Time.Second).
	Add("String", time.Time.String).
	Add("Sub", time.Time.Sub).
	Add("Truncate", time.Time.Truncate).
	Add("UTC", time.Time.UTC).
	Add("Unix", time.Time.Unix).
	Add("UnixMicro", time.Time.UnixMicro).
	Add("UnixMilli", time.Time.UnixMilli).
	Add("UnixNano", time.Time.UnixNano).
	Add("Weekday", time.Time.Weekday).
	Add("Year", time.Time.Year).
	Add("YearDay", time.Time.YearDay).
	Add("AddDate", time.Time.AddDate).
	Add("Add", time.Time.Add).
	Add("In", time.Time.In).
	Add("Location", time.Time.Location).
	Add("AppendBinary", time.Time.AppendBinary).
	Add("AppendText", time.Time.AppendText).
	Add("GobEncode", time.Time.GobEncode).
	Add("UnmarshalBinary", (*time.Time).UnmarshalBinary).
	Add("UnmarshalJSON", (*time.Time).UnmarshalJSON).
	Add("UnmarshalText", (*time.Time).UnmarshalText).
	Add("GobDecode", (*time.Time).GobDecode).
	// these have more than one result: listed so that calling one fails as text/template does
	Add("Clock", time.Time.Clock).
	Add("Date", time.Time.Date).
	Add("ISOWeek", time.Time.ISOWeek).
	Add("Zone", time.Time.Zone).
	Add("ZoneBounds", time.Time.ZoneBounds).
	// time.Duration
	Add("Abs", time.Duration.Abs).
	Add("Hours", time.Duration.Hours).
	Add("Microseconds", time.Duration.Microseconds).
	Add("Milliseconds", time.Duration.Milliseconds).
	Add("Minutes", time.Duration.Minutes).
	Add("Nanoseconds", time.Duration.Nanoseconds).
	Add("Round", time.Duration.Round).
	Add("Seconds", time.Duration.Seconds).
	Add("String", time.Duration.String).
	Add("Truncate", time.Duration.Truncate).
	// time.Month, time.Weekday (results of the methods above)
	Add("String", time.Month.String).
	Add("String", time.Weekday.String).
	// json.Number (inspect's fallback decodes numbers so)
	Add("Float64", json.Number.Float64).
	Add("Int64", json.Number.Int64).
	Add("String", json.Number.String).
	// json.RawMessage
	Add("MarshalJSON", json.RawMessage.MarshalJSON).
	Add("UnmarshalJSON", (*json.RawMessage).UnmarshalJSON)
