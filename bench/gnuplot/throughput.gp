# Backlog catch-up per system: the median records/s over the repeats, the
# bar from the slowest to the fastest run.
# gnuplot -e "datafile='throughput.tsv'; outfile='throughput.png'" throughput.gp
# datafile: one line per system: "name" median min max
set terminal pngcairo size 900,520 font "sans,10"
set output outfile
set title "Backlog catch-up, records/s from the first record to the last (median, min to max)"
set style fill solid 0.6 border -1
set boxwidth 0.6
set ylabel "records/s"
set format y "%.1s%c"
set yrange [0:*]
set termoption noenhanced
set grid ytics
unset key
plot datafile using 0:2:xtic(1) with boxes lc rgb "#4477aa", \
     '' using 0:2:3:4 with yerrorbars lc rgb "black" pt 0 lw 1.5, \
     '' using 0:2:(sprintf("%.0fk", $2/1000)) with labels offset 0,1.2
