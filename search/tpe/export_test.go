package tpe

// WeighGoodByHypervolume makes s weigh the good group's kernels by
// hypervolume contribution in a study of several objectives, as Optuna's
// MOTPE does (see multi.go), for the comparison with equal weights.
func WeighGoodByHypervolume(s *Sampler) { s.hvWeights = true }
