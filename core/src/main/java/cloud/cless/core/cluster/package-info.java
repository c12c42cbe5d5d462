/**
 * What several cless replicas sharing one PostgreSQL database need to work together, each part with one job:
 * {@link cloud.cless.core.cluster.ChangeFeed} tells a replica of every change to the store (LISTEN/NOTIFY, ids
 * only, a full reload after each reconnect) and {@link cloud.cless.core.cluster.ChangeApplier} applies that news
 * off the feed's thread, {@link cloud.cless.core.cluster.LeaderElection} picks the one
 * replica that makes scale decisions (an advisory lock), {@link cloud.cless.core.cluster.ReplicaReporter} and
 * {@link cloud.cless.core.cluster.ReplicaReports} share each replica's per-revision load, and
 * {@link cloud.cless.core.cluster.ScaleToZeroPolicy} decides from those reports alone;
 * {@link cloud.cless.core.cluster.ClusterLeader} runs the leader's rounds ({@link cloud.cless.core.cluster.ScalePlanner},
 * pure) and hands each plan to the runtime's {@link cloud.cless.core.cluster.ClusterScaler};
 * {@link cloud.cless.core.cluster.ClusterStartGate} decides what a replica cut off from the database may still start,
 * and {@link cloud.cless.core.cluster.ClusterStatus} answers {@code GET /cluster}. JDBC runs on threads of its
 * own ({@link cloud.cless.core.cluster.JdbcExecutor} and each part's), never on an event loop; every part tells
 * without blocking whether it reaches the database ({@link cloud.cless.core.cluster.DatabaseLink}) and recovers by
 * itself when the database is back.
 */
package cloud.cless.core.cluster;
