package cli

import (
	"reflect"
	"sort"
	"testing"
)

// TestRowMethodsListed: every exported method of the data a --format template sees (the
// rows, and every type reachable from an inspect document) is in rowMethods, so templates
// call methods as they would under text/template.
func TestRowMethodsListed(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(typ.Elem())
		case reflect.Map:
			walk(typ.Key())
			walk(typ.Elem())
		case reflect.Struct:
			for i := 0; i < typ.NumField(); i++ {
				if typ.Field(i).IsExported() {
					walk(typ.Field(i).Type)
				}
			}
		}
	}
	for _, v := range []any{&imageRow{}, &historyRow{}, &dfRow{}, jsonRow{}, inspectResponse{}} {
		walk(reflect.TypeOf(v))
	}
	for typ := range seen {
		if typ.Kind() == reflect.Interface {
			continue
		}
		listed := map[string]bool{}
		for _, rt := range []reflect.Type{typ, reflect.PointerTo(typ)} {
			for _, n := range rowMethods.Names(rt) {
				listed[n] = true
			}
		}
		if typ.Kind() == reflect.Pointer {
			for _, n := range rowMethods.Names(typ.Elem()) {
				listed[n] = true
			}
		}
		var missing []string
		for i := 0; i < typ.NumMethod(); i++ {
			if name := typ.Method(i).Name; !listed[name] {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("rowMethods lacks %v of %s: list them in core/cli/format.go", missing, typ)
		}
	}
}
