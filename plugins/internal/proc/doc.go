// Package proc starts and kills process trees: the session and group a
// trainer runs in, the /proc scans that find what is left of one (Linux),
// and a starter that ties a child's life to a locked OS thread
// (Pdeathsig), so a dead worker leaves no trainer behind.
package proc
