// Package proc starts and kills process trees: the session and group a
// trainer runs in; the box that holds a trainer and everything it starts,
// however far it goes (a cgroup v2 group, else child subreapers and a
// token in the environment; Linux), swept at each trial's end; the /proc
// reads that find what is left of one and how a process ended; and a
// starter that ties a child's life to a locked OS thread (Pdeathsig), so a
// dead worker leaves no trainer behind.
package proc
