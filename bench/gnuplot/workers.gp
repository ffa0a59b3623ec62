# pipehost's backlog catch-up against its worker count, with the ceiling
# and the tuned seed as reference lines.
# gnuplot -e "datafile='workers.tsv'; outfile='workers.png'; ceiling=N; seed=N; cores=N" workers.gp
# datafile: one line per worker count: workers median min max
set terminal pngcairo size 900,520 font "sans,10"
set output outfile
set title sprintf("pipehost clickstream catch-up against workers (%d cores)", cores)
set xlabel "workers"
set ylabel "records/s"
set format y "%.1s%c"
set yrange [0:*]
set xtics 1
set grid
set key center right box opaque
set offsets 0.2, 0.2, 0, 0
plot datafile using 1:2:3:4 with yerrorlines lw 2 pt 7 title "pipehost (median, min to max)", \
     ceiling with lines dt 2 lw 1.5 title "ceiling (C, no processing)", \
     seed with lines dt 3 lw 1.5 title "seed, tuned (Python)"
