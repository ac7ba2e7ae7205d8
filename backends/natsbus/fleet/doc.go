// Package fleet keeps who may take part in an automl fleet on NATS: the
// key that signs a scheduler's jobs (workers run only jobs a key they
// trust signed, so nobody else's code runs on a GPU box), the NATS
// identities of the scheduler and of every enrolled worker, the join
// credential a token carries (revocable), and the certificate authority of
// a server reachable beyond its host.
//
// It is a directory of small files, mode 0700, each 0600; Open refuses it
// when others may read it, naming the fix, as ssh does. The package knows
// nothing of subjects or streams: natsbus turns it into server users,
// permissions and checks.
package fleet
