# Latency distribution: for each run, the share of records whose result
# reached the sink within x ms of being produced.
# gnuplot -e "files='a.tsv b.tsv'; outfile='latency.png'; rate=N" latency.gp
# each file: a quoted title line, then "latency_ms fraction" lines
set terminal pngcairo size 1000,560 font "sans,10"
set output outfile
set title sprintf("Produce-to-sink latency at %d records/s (cumulative share of records)", rate)
set xlabel "latency, ms (log scale)"
set ylabel "share of records"
set logscale x
set termoption noenhanced
set yrange [0:1]
set ytics 0.1
set grid
set key bottom right
plot for [i=1:words(files)] word(files, i) using 1:2 with lines lw 2 dt i title columnheader(1)
