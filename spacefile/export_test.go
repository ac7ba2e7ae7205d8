package spacefile

// SetPanicRecovery turns Parse's last-resort recover on or off and returns
// a function that restores the previous setting. The fuzz test turns it off
// so that a panic on some input crashes and is reported, not hidden.
func SetPanicRecovery(on bool) (restore func()) {
	prev := noRecover.Swap(!on)
	return func() { noRecover.Store(prev) }
}

// ParamPos, ConditionPos and ConfigPos tell where the parser placed a
// parameter, a parameter's condition on a parent, and a trainer config
// key; ok is false when it placed none.
func ParamPos(f *File, name string) (Pos, bool) {
	p, ok := f.pos.params[name]
	return p, ok
}

func ConditionPos(f *File, name, parent string) (Pos, bool) {
	p, ok := f.pos.conditions[name][parent]
	return p, ok
}

func ConfigPos(f *File, key string) (Pos, bool) {
	p, ok := f.pos.config[key]
	return p, ok
}

// TrainerPos is where the trainer section starts.
func TrainerPos(f *File) Pos { return f.pos.trainer }
